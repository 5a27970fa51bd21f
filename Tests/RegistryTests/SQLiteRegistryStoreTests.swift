import Foundation
import GRDB
import JSON
import TestSupport
import Testing
import ToolPackage

@testable import Registry

/// The registry store imports index files whole or not at all, reports bad lines without losing good
/// ones, chooses one standing entry per tool (highest unyanked version, local over index), keeps pins,
/// and is shared safely by several stores on one file.
@Suite struct SQLiteRegistryStoreTests {
    typealias F = RegistryFixture

    // MARK: - Import

    @Test func aMalformedLineIsReportedWithItsLineAndFieldWhileTheGoodLinesLand() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = F.index(
            [
                F.line("a.one", "1.0.0"),
                F.line("a.two", "1.0.0", ["env": [["name": "OK"], ["name": "x-y"]]]),
                "",
                "not json",
                F.line("a.three", "1.0.0"),
                F.line("a.four", "1.0"),
            ], in: dir)
        let result = try store.importIndex(file: file)
        #expect(result.added == 2 && result.skipped == 3 && result.updated == 0 && result.unchanged == 0)
        #expect(result.problems.map(\.line) == [2, 4, 6])
        #expect(result.problems.map(\.field) == ["env[1].name", "", "version"])
        #expect(
            result.problems[0].description
                == #"line 2: env[1].name: expected an environment variable name ([A-Z_][A-Z0-9_]*), found "x-y""#)
        #expect(result.problems[1].message.hasPrefix("not valid JSON: column 1"))
        #expect(try store.entry(id: "a.one") != nil && store.entry(id: "a.three") != nil)
        #expect(try store.entry(id: "a.two") == nil)
    }

    @Test func twoImportsCountAddedUpdatedUnchangedAndSkipped() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try store.importIndex(
            file: F.index([F.line("t.a", "1.0.0"), F.line("t.b", "1.0.0"), F.line("t.c", "1.0.0"), "{"], in: dir))
        #expect(F.counts(first) == [3, 0, 0, 1, 0])
        let second = try store.importIndex(
            file: F.index(
                [
                    F.line("t.a", "1.0.0"), F.line("t.b", "1.0.0", ["title": "Changed"]), F.line("t.c", "1.1.0"),
                    F.line("t.c", "1.0.0+build.7"), "[]", "7",
                ], in: dir, name: "second.jsonl"))
        #expect(F.counts(second) == [1, 2, 1, 2, 0])
        #expect(try store.entry(id: "t.b")?.title == "Changed")
        // Build metadata does not make another version: 1.0.0+build.7 replaced 1.0.0.
        #expect(try store.versions(id: "t.c").map(\.version.description) == ["1.1.0", "1.0.0+build.7"])
        let stats = try store.stats()
        #expect(stats.tools == 3 && stats.versions == 4 && stats.byOrigin[.index] == 4 && stats.lastImportMs != nil)
    }

    @Test func problemsAreCappedButEverySkippedLineIsCounted() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try store.importIndex(file: F.index(Array(repeating: "nope", count: 2500), in: dir))
        #expect(result.skipped == 2500)
        #expect(result.problems.count == RegistryImport.maximumProblems)
        #expect(result.problems.last?.line == 1000)
    }

    @Test func gzipAndXzIndexesBothImport() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = F.index((0..<500).map { F.line("gz.tool\($0)", "1.0.0") }, in: dir, name: "gz.jsonl")
        let gz = try F.compress(plain, with: "gzip")
        #expect(try store.importIndex(file: gz).added == 500)
        let plainXZ = F.index((0..<500).map { F.line("xz.tool\($0)", "1.0.0") }, in: dir, name: "xz.jsonl")
        let xz = try F.compress(plainXZ, with: "xz")
        #expect(try store.importIndex(file: xz).added == 500)
        #expect(try store.stats().tools == 1000)
    }

    @Test func aTruncatedOrCorruptCompressedIndexLeavesTheRegistryExactlyAsItWas() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(file: F.index([F.line("keep.me", "1.0.0")], in: dir, name: "first.jsonl"))
        let before = try (store.generation, store.stats(), F.searchable(store))
        let plain = F.index(
            (0..<20_000).map { F.line("bad.tool\($0)", "1.0.0", ["description": .string("entry \($0) of many")]) }
                + [F.line("keep.me", "2.0.0")], in: dir)
        for program in ["gzip", "xz"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: try F.compress(plain, with: program)))
            let truncated = dir + "/truncated.\(program)"
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: truncated))
            var corrupt = bytes
            for i in (bytes.count / 2)..<(bytes.count / 2 + 32) { corrupt[i] ^= 0xFF }
            let corrupted = dir + "/corrupt.\(program)"
            try corrupt.write(to: URL(fileURLWithPath: corrupted))
            for path in [truncated, corrupted] {
                #expect(throws: RegistryError.self) { try store.importIndex(file: path) }
                do {
                    _ = try store.importIndex(file: path)
                } catch {
                    #expect(error.code == .indexUnreadable && error.message.hasPrefix(path))
                }
                let after = try (store.generation, store.stats(), F.searchable(store))
                #expect(after.0 == before.0)
                #expect(after.1.versions == 1 && after.1.lastImportMs == before.1.lastImportMs)
                #expect(after.2 == before.2)
            }
        }
    }

    @Test func aBinaryFileAHugeLineAndAnEmptyFileGiveClearResults() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var random = SystemRandomNumberGenerator()
        let binary = dir + "/binary.jsonl"
        try Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) })
            .write(to: URL(fileURLWithPath: binary))
        let noise = try store.importIndex(file: binary)
        #expect(noise.added == 0 && noise.skipped > 0 && noise.problems.allSatisfy { $0.field.isEmpty })

        let huge = dir + "/huge.jsonl"
        Fixture.write(
            F.line("ok.before", "1.0.0") + "\n" + #"{"id":"big.one","version":"1.0.0","description":""#
                + String(repeating: "y", count: 10 << 20) + "\"}\n" + F.line("ok.after", "1.0.0") + "\n", to: huge)
        let big = try store.importIndex(file: huge)
        #expect(big.added == 2 && big.skipped == 1)
        #expect(big.problems.first?.line == 2)
        #expect(big.problems.first?.message.contains("over the 262144-byte limit") == true)

        let empty = dir + "/empty.jsonl"
        Fixture.write("", to: empty)
        let nothing = try store.importIndex(file: empty)
        #expect(nothing == RegistryImport())

        #expect(throws: RegistryError.self) { try store.importIndex(file: dir + "/missing.jsonl") }
        #expect(try store.stats().versions == 2)
    }

    // MARK: - Choosing the standing entry

    @Test func theHighestVersionWinsByPrecedenceNotByText() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(
            file: F.index(
                [
                    F.line("v.tool", "1.9.0"), F.line("v.tool", "1.10.0"), F.line("v.tool", "1.2.0"),
                    F.line("p.tool", "2.0.0-rc.1"), F.line("p.tool", "1.5.0"), F.line("p.tool", "2.0.0"),
                    F.line("p.tool", "2.0.0-beta"), F.line("q.tool", "3.0.0-alpha"), F.line("q.tool", "2.9.9"),
                    F.line("b.tool", "2.0.0-rc.1+build.5"), F.line("b.tool", "1.0.0"),
                ], in: dir))
        let rows = try F.searchable(store)
        #expect(rows["v.tool"]?.version.description == "1.10.0")
        #expect(rows["p.tool"]?.version.description == "2.0.0")
        #expect(rows["q.tool"]?.version.description == "3.0.0-alpha")
        #expect(rows["b.tool"]?.version.description == "2.0.0-rc.1+build.5")
        #expect(try store.entry(id: "v.tool")?.version.description == "1.10.0")
        #expect(try store.entry(id: "v.tool", version: F.v("1.9.0"))?.version.description == "1.9.0")
        #expect(try store.entry(id: "v.tool", version: F.v("1.3.0")) == nil)
        #expect(
            try store.versions(id: "p.tool").map(\.version.description) == [
                "2.0.0", "2.0.0-rc.1", "2.0.0-beta", "1.5.0",
            ])
    }

    @Test func yankedVersionsAreHiddenFromSearchableAndTheDefaultEntry() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(
            file: F.index(
                [
                    F.line("y.tool", "1.0.0"), F.line("y.tool", "2.0.0", ["yanked": "CVE-2024-1"]),
                    F.line("y.tool", "1.5.0", ["yanked": true]), F.line("gone.tool", "1.0.0", ["yanked": true]),
                    F.line("home.tool", "1.0.0"), F.line("home.tool", "1.1.0"),
                ], in: dir))
        let rows = try F.searchable(store)
        #expect(rows["y.tool"]?.version.description == "1.0.0")
        #expect(rows["gone.tool"] == nil)
        #expect(try store.entry(id: "y.tool")?.version.description == "1.0.0")
        #expect(try store.entry(id: "gone.tool") == nil)
        // Asked for by version, a yanked entry is returned, marked.
        #expect(try store.entry(id: "y.tool", version: F.v("2.0.0"))?.yanked == "CVE-2024-1")
        #expect(try store.stats().yanked == 3)

        // The home's yank list is applied on top.
        let homeYanked = { (id: String, version: SemanticVersion) in id == "home.tool" && version == F.v("1.1.0") }
        #expect(try F.searchable(store, isYanked: homeYanked)["home.tool"]?.version.description == "1.0.0")
        #expect(try store.entry(id: "home.tool", version: nil, isYanked: homeYanked)?.version.description == "1.0.0")
    }

    @Test func aLocalOriginWinsOverTheIndexAndRemovingItBringsTheIndexEntryBack() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(
            file: F.index(
                [F.line("w.tool", "1.0.0", ["title": "From the index"]), F.line("w.other", "1.0.0")], in: dir))
        var installed = try RegistryEntry.decode(
            line: JSONValue.object([
                "id": "w.tool", "version": "1.0.0", "description": "Installed copy", "title": "Installed",
            ]), origin: .installed)
        var starter = installed
        starter.origin = .starter
        starter.title = "Starter"
        #expect(try store.upsert([starter]).added == 1)
        #expect(try F.searchable(store)["w.tool"]?.title == "Starter")
        #expect(try store.upsert([installed]).added == 1)
        let row = try #require(try F.searchable(store)["w.tool"])
        #expect(row.title == "Installed" && row.origin == .installed)
        #expect(try store.entries(rowIDs: [row.rowID])[row.rowID]?.origin == .installed)
        #expect(try store.entry(id: "w.tool")?.title == "Installed")
        #expect(try store.versions(id: "w.tool").count == 1)

        // Each origin on its own.
        #expect(try F.searchable(store, origins: [.index])["w.tool"]?.title == "From the index")
        #expect(try F.searchable(store, origins: [.installed, .starter]).keys.sorted() == ["w.tool"])

        #expect(try store.remove(id: "w.tool", version: F.v("1.0.0"), origin: .installed))
        #expect(try store.remove(id: "w.tool", version: F.v("1.0.0"), origin: .installed) == false)
        #expect(try store.entry(id: "w.tool")?.title == "Starter")
        #expect(try store.remove(id: "w.tool", version: F.v("1.0.0"), origin: .starter))
        #expect(try store.entry(id: "w.tool")?.title == "From the index")
        #expect(try store.entry(id: "w.tool")?.origin == .index)

        // A local version higher than the index's wins as the higher version; a lower one does not.
        installed.version = F.v("0.9.0")
        _ = try store.upsert([installed])
        #expect(try F.searchable(store)["w.tool"]?.version.description == "1.0.0")
    }

    @Test func replaceLocalMakesAnOriginExactlyTheGivenEntries() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(file: F.index([F.line("r.a", "1.0.0")], in: dir))
        func entry(_ id: String, _ version: String, _ title: String? = nil) -> RegistryEntry {
            RegistryEntry(id: id, version: F.v(version), title: title, description: "local \(id)", origin: .index)
        }
        let first = try store.replaceLocal(origin: .installed, with: [entry("r.a", "1.0.0"), entry("r.b", "1.0.0")])
        #expect(F.counts(first) == [2, 0, 0, 0, 0])
        #expect(try store.entry(id: "r.a")?.origin == .installed)
        let generation = try store.generation
        let same = try store.replaceLocal(origin: .installed, with: [entry("r.b", "1.0.0"), entry("r.a", "1.0.0")])
        #expect(F.counts(same) == [0, 0, 2, 0, 0])
        #expect(try store.generation == generation)
        let second = try store.replaceLocal(
            origin: .installed, with: [entry("r.b", "1.0.0", "New"), entry("r.c", "2.0.0")])
        #expect(F.counts(second) == [1, 1, 0, 0, 1])
        #expect(try store.entry(id: "r.a")?.origin == .index)
        #expect(try store.stats().byOrigin == [.index: 1, .installed: 2, .starter: 0])
        let cleared = try store.replaceLocal(origin: .installed, with: [])
        #expect(cleared.removed == 2)
        #expect(try store.stats().byOrigin[.installed] == 0)

        #expect(throws: RegistryError.self) { try store.replaceLocal(origin: .starter, with: [entry("Bad", "1.0.0")]) }
        #expect(throws: RegistryError.self) {
            try store.upsert([RegistryEntry(id: "a.b", version: F.v("1.0.0"), description: "", origin: .starter)])
        }
    }

    @Test func searchableRowsCarryWhatTheIndexNeeds() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(
            file: F.index(
                [
                    F.line(
                        "s.tool", "1.0.0",
                        [
                            "title": "Searchable", "keywords": ["alpha", "beta gamma"], "binding": "mcp_remote",
                            "risk": ["level": "high", "externalWrite": true, "readOnly": false],
                            "scopes": ["read_web", "send_email"],
                            "env": [["name": "A", "required": true], ["name": "B"], ["name": "C", "required": true]],
                        ]),
                    F.line("s.bare", "0.1.0"),
                ], in: dir))
        let rows = try F.searchable(store)
        let row = try #require(rows["s.tool"])
        #expect(row.title == "Searchable" && row.description == "Tool s.tool at 1.0.0")
        #expect(row.keywords == ["alpha", "beta gamma"] && row.binding == "mcp_remote" && row.riskLevel == .high)
        #expect(
            row.scopes == ["read_web", "send_email"] && row.requiredEnvNames == ["A", "C"] && row.origin == .index)
        let bare = try #require(rows["s.bare"])
        #expect(bare.title == nil && bare.keywords.isEmpty && bare.binding == nil && bare.riskLevel == nil)
        #expect(bare.scopes.isEmpty && bare.requiredEnvNames.isEmpty)
        let entries = try store.entries(rowIDs: [row.rowID, bare.rowID, 999_999])
        #expect(entries.count == 2)
        #expect(entries[row.rowID]?.env.count == 3 && entries[row.rowID]?.risk?.externalWrite == true)
    }

    // MARK: - Generation

    @Test func theGenerationBumpsOnlyOnRealChanges() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try store.generation == 0 && store.indexGeneration == 0)
        let file = F.index([F.line("g.a", "1.0.0"), F.line("g.b", "1.0.0")], in: dir)
        _ = try store.importIndex(file: file)
        #expect(try store.generation == 1 && store.indexGeneration == 1)
        _ = try store.importIndex(file: file)
        #expect(try store.generation == 1)
        _ = try store.importIndex(file: F.index(["bad line"], in: dir, name: "bad.jsonl"))
        #expect(try store.generation == 1)
        let local = RegistryEntry(id: "g.local", version: F.v("1.0.0"), description: "d", origin: .installed)
        _ = try store.upsert([local])
        #expect(try store.generation == 2 && store.indexGeneration == 1)
        _ = try store.upsert([local])
        _ = try store.replaceLocal(origin: .installed, with: [local])
        #expect(try store.generation == 2)
        _ = try store.remove(id: "g.nothing", version: F.v("1.0.0"), origin: .index)
        #expect(try store.generation == 2)
        _ = try store.remove(id: "g.a", version: F.v("1.0.0"), origin: .index)
        #expect(try store.generation == 3 && store.indexGeneration == 2)
        try store.pin(user: "ann", id: "g.b")
        #expect(try store.generation == 3)
    }

    // MARK: - Pins

    @Test func pinsRoundTripAndRefuseUnknownIdsVersionsAndYankedOnes() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(
            file: F.index(
                [
                    F.line("p.a", "1.0.0"), F.line("p.a", "1.1.0", ["yanked": "broken"]), F.line("p.b", "2.0.0"),
                    F.line("p.dead", "1.0.0", ["yanked": true]),
                ], in: dir))
        try store.pin(user: "ann", id: "p.a", version: nil, atMs: 10)
        try store.pin(user: "ann", id: "p.b", version: F.v("2.0.0"), atMs: 20)
        try store.pin(user: "bob", id: "p.b", version: nil, atMs: 30)
        #expect(
            try store.pins(user: "ann") == [
                RegistryPin(id: "p.a", version: nil, pinnedAtMs: 10),
                RegistryPin(id: "p.b", version: F.v("2.0.0"), pinnedAtMs: 20),
            ])
        // Pinning again replaces the pin.
        try store.pin(user: "ann", id: "p.a", version: F.v("1.0.0"), atMs: 40)
        #expect(try store.pins(user: "ann").map(\.version) == [F.v("2.0.0"), F.v("1.0.0")])
        #expect(try store.unpin(user: "ann", id: "p.b"))
        #expect(try store.unpin(user: "ann", id: "p.b") == false)
        #expect(try store.pins(user: "ann").map(\.id) == ["p.a"])
        #expect(try store.pins(user: "bob").map(\.id) == ["p.b"])
        #expect(try store.pins(user: "carol").isEmpty)

        func refusal(_ id: String, _ version: String? = nil, user: String = "ann") -> RegistryError? {
            do {
                try store.pin(user: user, id: id, version: version.map(F.v))
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal("p.unknown")?.code == .notFound)
        #expect(refusal("p.unknown")?.message.contains("knows no tool p.unknown") == true)
        #expect(refusal("p.a", "9.0.0")?.code == .notFound)
        #expect(refusal("p.a", "9.0.0")?.message.contains("known: 1.1.0, 1.0.0") == true)
        #expect(refusal("p.a", "1.1.0")?.code == .yanked)
        #expect(refusal("p.a", "1.1.0")?.message.contains("broken") == true)
        #expect(refusal("p.dead")?.code == .yanked)
        #expect(refusal("Not An Id")?.code == .invalidReference)
        #expect(refusal("p.a", user: "")?.code == .invalidArgument)
        #expect(try store.pins(user: "ann").count == 1)
    }

    // MARK: - The file

    @Test func twoStoresOnTheSameFileSeeEachOthersWrites() throws {
        let (first, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let second = try SQLiteRegistryStore(path: first.path)
        _ = try first.importIndex(file: F.index([F.line("shared.a", "1.0.0")], in: dir))
        #expect(try second.entry(id: "shared.a") != nil)
        #expect(try second.generation == 1)
        _ = try second.upsert([RegistryEntry(id: "shared.b", version: F.v("1.0.0"), description: "d", origin: .starter)]
        )
        try second.pin(user: "ann", id: "shared.b")
        #expect(try first.entry(id: "shared.b")?.origin == .starter)
        #expect(try first.pins(user: "ann").map(\.id) == ["shared.b"])
        #expect(try first.generation == 2)

        // Concurrent writers on both stores: every write lands.
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let store = i % 2 == 0 ? first : second
            let entry = RegistryEntry(id: "shared.c\(i)", version: F.v("1.0.0"), description: "d", origin: .installed)
            #expect(throws: Never.self) { try store.upsert([entry]) }
        }
        #expect(try first.stats().versions == 10)
        #expect(try second.generation == 10)
    }

    @Test func openingAndALocalSyncThatChangesNothingDoNotWaitForAnImportInProgress() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = [RegistryEntry(id: "wait.a", version: F.v("1.0.0"), description: "a starter", origin: .starter)]
        _ = try store.replaceLocal(origin: .starter, with: local)
        // Another writer (an import of a large index) holds the write lock for three seconds.
        let holding = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? store.write("hold the lock") { db in
                try db.execute(sql: "UPDATE meta SET value = value WHERE key = 'generation'")
                holding.signal()
                Thread.sleep(forTimeInterval: 3)
            }
            done.signal()
        }
        holding.wait()
        let started = Date()
        // What every search does first: open the store, sync the local tools, read.
        let other = try SQLiteRegistryStore(path: store.path)
        let sync = try other.replaceLocal(origin: .starter, with: local)
        #expect(F.counts(sync) == [0, 0, 1, 0, 0])
        #expect(try other.entry(id: "wait.a")?.origin == .starter)
        #expect(Date().timeIntervalSince(started) < 1.5, "waited \(Date().timeIntervalSince(started)) s for the writer")
        done.wait()
        // A sync that changes something still writes, once the lock is free.
        let changed = try other.replaceLocal(origin: .starter, with: [])
        #expect(changed.removed == 1)
        #expect(try other.entry(id: "wait.a") == nil)
    }

    @Test func anotherProcessReadsAndWritesTheFileWhileTheStoreHasItOpen() throws {
        let sqlite = "/usr/bin/sqlite3"
        guard FileManager.default.isExecutableFile(atPath: sqlite) else { return }  // the CLI is optional
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.importIndex(file: F.index([F.line("proc.a", "1.0.0"), F.line("proc.b", "1.0.0")], in: dir))
        let read = try HostProcess.run([sqlite, store.path, "SELECT COUNT(*) FROM entries"], timeout: 30)
        #expect(
            read.status == 0 && read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(read.stderr)")
        let write = try HostProcess.run(
            [sqlite, store.path, "INSERT INTO pins (user, id, version, pinned_at) VALUES ('ann', 'proc.a', NULL, 5)"],
            timeout: 30)
        #expect(write.status == 0, "\(write.stderr)")
        #expect(try store.pins(user: "ann") == [RegistryPin(id: "proc.a", version: nil, pinnedAtMs: 5)])
        // The log and shared-memory files are as private as the database.
        for suffix in ["", "-wal", "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: store.path + suffix)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(suffix)")
        }
    }

    @Test func aVersion1DatabaseIsMigratedWithItsEntriesKept() throws {
        let dir = Fixture.directory("registry", mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/registry.sqlite"
        let entry = RegistryEntry(
            id: "old.tool", version: F.v("1.0.0"), title: "Old", description: "From schema 1", keywords: ["legacy"],
            origin: .index)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries (
                        row_id INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, version_key BLOB NOT NULL,
                        origin INTEGER NOT NULL, version TEXT NOT NULL, title TEXT, description TEXT NOT NULL,
                        keywords TEXT NOT NULL, binding TEXT, risk_level TEXT, scopes TEXT NOT NULL,
                        env_required TEXT NOT NULL, yanked TEXT, document TEXT NOT NULL, UNIQUE (id, version_key, origin));
                    CREATE INDEX entries_yanked ON entries(yanked) WHERE yanked IS NOT NULL;
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO meta (key, value) VALUES ('generation', 1), ('index_generation', 1);
                    CREATE TABLE pins (user TEXT NOT NULL, id TEXT NOT NULL, version TEXT, pinned_at INTEGER NOT NULL,
                        PRIMARY KEY (user, id)) WITHOUT ROWID;
                    PRAGMA user_version = 1;
                    """)
            try db.execute(
                sql: """
                    INSERT INTO entries (id, version_key, origin, version, title, description, keywords, scopes,
                        env_required, document) VALUES (?, ?, 0, '1.0.0', 'Old', 'From schema 1', 'legacy', '', '', ?)
                    """,
                arguments: [entry.id, VersionKey.of(entry.version), entry.json.canonicalText])
        }
        try queue.close()
        let store = try SQLiteRegistryStore(path: path)
        #expect(try store.entry(id: "old.tool") == entry)
        #expect(try F.searchable(store)["old.tool"]?.keywords == ["legacy"])
        #expect(try store.generation == 1)
        let again = try store.importIndex(file: F.index([entry.json.jsonText], in: dir))
        #expect(F.counts(again) == [0, 0, 1, 0, 0])
    }

    @Test func theDatabaseIsCreatedPrivateWithAVersionedSchemaAndANewerOneIsRefused() throws {
        let (store, dir) = try F.store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let version = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == SQLiteRegistryStore.schemaVersion)
        let journal = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        #expect(try store.stats().databaseBytes > 0)

        try store.pool.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        do {
            _ = try SQLiteRegistryStore(path: store.path)
            Issue.record("a newer schema was opened")
        } catch {
            #expect(error.code == .storeFailed && error.message.contains("schema version 99"))
        }
    }
}
