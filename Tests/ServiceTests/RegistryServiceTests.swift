import Foundation
import JSON
import Registry
import TestSupport
import Testing
import ToolPackage
import ToolRuntime

@testable import Service

/// The registry as surfaces use it: a fresh home finds the starter tools, imports land in one go,
/// installs from an index check the published digest, pins come first, results say what is missing.
@Suite(.serialized) struct RegistryServiceTests {
    static func service(_ root: String, project: String? = nil) throws -> RegistryService {
        var configuration = RuntimeConfiguration(home: OmegaHome(root: root + "/home"))
        configuration.projectPolicy = project
        return try RegistryService(configuration: configuration)
    }

    static func expectCode(_ code: OmegaError.Code, field: String? = nil, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code)")
        } catch let error as OmegaError {
            #expect(error.code == code, "\(error)")
            if let field { #expect(error.details["field"]?.stringValue == field, "\(error)") }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    static func index(_ lines: [JSONValue], in root: String, name: String = "index.jsonl") -> String {
        let path = root + "/" + name
        Fixture.write(lines.map(\.jsonText).joined(separator: "\n") + "\n", to: path)
        return path
    }

    @Test func aFreshHomeFindsTheStarterTools() throws {
        let root = Fixture.directory("registry-service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let results = try service.search(ToolSearchRequest(query: "count words and readability of a text"))
        #expect(results.first?.entry.id == "text.stats")
        #expect(results.first?.entry.origin == .starter)
        #expect(results.first?.installed == false)
        let regex = try service.search(ToolSearchRequest(query: "regex_extract", limit: 1))
        #expect(regex.map(\.entry.id) == ["text.regex_extract"])
    }

    @Test func anImportReportsItsMalformedLinesAndItsToolsAreFound() throws {
        let root = Fixture.directory("registry-import")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let file = Self.index(
            [
                ["id": "weather.forecast", "version": "1.0.0", "description": "Daily weather forecast for a city"],
                ["id": "Bad Id", "version": "1.0.0", "description": "x"],
                ["id": "maps.geocode", "version": "2.1.0", "title": "Geocoder", "description": "Turns an address into coordinates",
                 "keywords": ["geocoding", "maps"]],
            ], in: root)
        let (result, _) = try service.importIndex(file: file)
        #expect(result.added == 2 && result.skipped == 1)
        #expect(result.problems.first?.line == 2 && result.problems.first?.field == "id")
        let hits = try service.search(ToolSearchRequest(query: "weather forecast"))
        #expect(hits.first?.entry.id == "weather.forecast")
        #expect(hits.first?.installed == false && hits.first?.runnable == false)
        // A second import of the same file changes nothing.
        let again = try service.importIndex(file: file).result
        #expect(again.added == 0 && again.unchanged == 2 && again.skipped == 1)
        // A missing file is an input error naming the file; nothing changes.
        Self.expectCode(.invalidInput) { _ = try service.importIndex(file: root + "/none.jsonl") }
        #expect(try service.search(ToolSearchRequest(query: "geocoder")).first?.entry.id == "maps.geocode")
    }

    @Test func anInstallFromTheIndexChecksThePublishedDigest() throws {
        let root = Fixture.directory("registry-install")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let package = Fixture.package(in: root, id: "fixture.indexed", script: "cat >/dev/null\necho '{}'\n")
        let digest = "sha256:" + (try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(package))
            .digest.digest
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        _ = try service.importIndex(
            file: Self.index(
                [
                    ["id": "fixture.indexed", "version": "1.0.0", "description": "An indexed fixture",
                     "package": ["source": .string(package), "digest": .string(wrong)]],
                    ["id": "fixture.remote", "version": "1.0.0", "description": "A remote fixture",
                     "package": ["source": "https://example.com/p.tar.gz", "digest": .string(wrong)]],
                ], in: root))
        // A package that is not what the index published is refused, and nothing is installed.
        do {
            _ = try service.install("fixture.indexed", trustedKeys: nil, allowUnsigned: true, force: false)
            Issue.record("a package with another digest was installed")
        } catch let error as OmegaError {
            #expect(error.code == .invalidManifest && error.details["reason"]?.stringValue == "PACKAGE_DIGEST_MISMATCH")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/home/packages/fixture.indexed"))
        Self.expectCode(.toolUnavailable) {
            _ = try service.install("fixture.remote", trustedKeys: nil, allowUnsigned: true, force: false)
        }
        Self.expectCode(.toolNotFound) {
            _ = try service.install("fixture.unknown@1.0.0", trustedKeys: nil, allowUnsigned: true, force: false)
        }

        // With the right digest it installs (unsigned only when allowed, as any install) and shows installed.
        _ = try service.importIndex(
            file: Self.index(
                [["id": "fixture.indexed", "version": "1.0.0", "description": "An indexed fixture",
                  "package": ["source": .string(package), "digest": .string(digest)]]], in: root, name: "fixed.jsonl"))
        #expect(throws: PackageError.self) {
            _ = try service.install("fixture.indexed@1.0.0", trustedKeys: nil, allowUnsigned: false, force: false)
        }
        let installed = try service.install("fixture.indexed@1.0.0", trustedKeys: nil, allowUnsigned: true, force: false)
        #expect(installed.manifest.id == "fixture.indexed")
        let fresh = try Self.service(root)
        let hits = try fresh.search(ToolSearchRequest(query: "fixture", installed: true))
        #expect(hits.map(\.entry.id) == ["fixture.indexed"])
        #expect(hits.first?.installed == true && hits.first?.verified == false && hits.first?.runnable == true)
        #expect(try fresh.search(ToolSearchRequest(query: "fixture", verified: true)).isEmpty)
    }

    @Test func pinnedToolsThatMatchComeFirstAtEveryLevel() throws {
        let root = Fixture.directory("registry-pins")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project-policy.json"
        let service = try Self.service(root, project: project)
        let query = ToolSearchRequest(query: "text")
        let unpinned = try service.search(query).map(\.entry.id)
        let last = try #require(unpinned.last)
        _ = try service.pin(last)
        let pinned = try service.search(query)
        #expect(pinned.first?.entry.id == last && pinned.first?.pinned == true)
        #expect(pinned.dropFirst().allSatisfy { !$0.pinned })
        #expect(try service.unpin(last))
        #expect(try service.search(query).map(\.entry.id) == unpinned)

        // A project pin lands in the project policy file's pins, and is listed with its level.
        _ = try service.pin("data.csv_analyze@1.0.0", level: .project)
        let policy = try String(contentsOfFile: project, encoding: .utf8)
        #expect(policy.contains("data.csv_analyze@1.0.0") && policy.contains("policyVersion"))
        #expect(try service.pins().contains { $0.id == "data.csv_analyze" && $0.level == "project" })
        #expect(try service.search(ToolSearchRequest(query: "text csv")).first?.entry.id == "data.csv_analyze")
        #expect(try service.unpin("data.csv_analyze", level: .project))

        Self.expectCode(.toolNotFound) { _ = try service.pin("no.such_tool") }
        Self.expectCode(.invalidInput) { _ = try service.pin("Not An Id") }
        Self.expectCode(.invalidInput, field: "level") { _ = try Self.service(root).pin("text.stats", level: .workspace) }
    }

    @Test func resultsSayWhichRequiredVariablesAreMissingNow() throws {
        let root = Fixture.directory("registry-env")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let request = ToolSearchRequest(query: "webhook_prepare", limit: 1)
        let before = try #require(try service.search(request).first)
        #expect(before.entry.id == "notify.webhook_prepare")
        #expect(before.requiredEnvVars.map(\.name) == ["WEBHOOK_SECRET"] && before.requiredEnvVars[0].missing)
        #expect(before.json["missingEnvVars"] == ["WEBHOOK_SECRET"])
        // A starter tool runs from its shipped folder, but not while its key is missing.
        #expect(!before.runnable)
        #expect(try service.search(ToolSearchRequest(query: "webhook_prepare", runnable: true)).isEmpty)
        try CredentialService(home: service.home).set("WEBHOOK_SECRET", value: "s3cret-value-1234", scope: .global)
        let after = try #require(try service.search(request).first)
        #expect(after.requiredEnvVars.allSatisfy { !$0.missing })
        // The value never appears in a result.
        #expect(!after.json.jsonText.contains("s3cret-value-1234"))
        // Not installed, yet runnable now: a starter tool with its key in the vault.
        #expect(!after.installed && after.runnable)
        #expect(
            try service.search(ToolSearchRequest(query: "webhook_prepare", runnable: true)).first?.entry.id
                == "notify.webhook_prepare")
        #expect(try service.search(ToolSearchRequest(query: "webhook_prepare", installed: true)).isEmpty)
    }

    @Test func badQueriesAndFiltersAreRefusedNamingTheField() throws {
        let root = Fixture.directory("registry-bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        Self.expectCode(.invalidInput, field: "query") { _ = try service.search(ToolSearchRequest(query: "")) }
        Self.expectCode(.invalidInput, field: "query") {
            _ = try service.search(ToolSearchRequest(query: String(repeating: "a", count: 10_240)))
        }
        Self.expectCode(.invalidInput, field: "query") { _ = try service.search(ToolSearchRequest(query: "\u{0}\u{1}\u{2}")) }
        Self.expectCode(.invalidInput, field: "limit") { _ = try service.search(ToolSearchRequest(query: "text", limit: 0)) }
        Self.expectCode(.invalidInput, field: "binding") {
            _ = try service.search(ToolSearchRequest(query: "text", bindings: ["docker"]))
        }
        Self.expectCode(.invalidInput, field: "risk") { _ = try service.search(ToolSearchRequest(query: "text", risks: ["extreme"])) }
        Self.expectCode(.invalidInput, field: "scope") { _ = try service.search(ToolSearchRequest(query: "text", scopes: ["*"])) }
        #expect(try service.search(ToolSearchRequest(query: "zzzzqqqq")).isEmpty)
        #expect(try service.search(ToolSearchRequest(query: "text", bindings: ["mcp_remote"])).isEmpty)
        #expect(try service.search(ToolSearchRequest(query: "text", risks: ["low"])).count > 0)
    }

    @Test func aYankedVersionIsHiddenAndTheNextHighestShown() throws {
        let root = Fixture.directory("registry-yank")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        _ = try service.importIndex(
            file: Self.index(
                [
                    ["id": "solar.panel", "version": "1.2.0", "description": "Solar panel output estimate"],
                    ["id": "solar.panel", "version": "1.10.0", "description": "Solar panel output estimate"],
                    ["id": "solar.flare", "version": "1.0.0", "description": "Solar flare alerts", "yanked": "broken"],
                ], in: root))
        #expect(try service.search(ToolSearchRequest(query: "solar")).map { "\($0.entry.id)@\($0.entry.version)" } == ["solar.panel@1.10.0"])
        try PackageService(home: service.home).yank(id: "solar.panel", version: "1.10.0", reason: "bad data")
        let fresh = try Self.service(root)
        #expect(try fresh.search(ToolSearchRequest(query: "solar")).map { "\($0.entry.id)@\($0.entry.version)" } == ["solar.panel@1.2.0"])
        // A yank does not make the saved index stale: it is loaded, and the yanked tool is corrected over it.
        #expect(try fresh.stats()["indexSource"] == "loaded")
        Self.expectCode(.toolUnavailable) { _ = try fresh.pin("solar.panel@1.10.0", level: .user) }
    }

    @Test func anIndexEntryVouchingForAnotherToolsPackageNeitherInstallsItNorRemovesThatTool() throws {
        let root = Fixture.directory("registry-install-other")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let victim = Fixture.package(in: root, folder: "victim", id: "victim.tool", script: "echo victim\n")
        _ = try PackageService(home: service.home).install(victim, trustedKeys: nil, allowUnsigned: true, force: false)
        // The published digest is right, but it is the digest of a package of another tool.
        let other = Fixture.package(in: root, folder: "other", id: "victim.tool", script: "echo replaced\n")
        let digest = "sha256:" + (try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(other))
            .digest.digest
        _ = try service.importIndex(
            file: Self.index(
                [["id": "weather.forecast", "version": "1.0.0", "description": "Daily weather forecast",
                  "package": ["source": .string(other), "digest": .string(digest)]]], in: root))
        do {
            _ = try service.install("weather.forecast", trustedKeys: nil, allowUnsigned: true, force: true)
            Issue.record("another tool's package was installed for weather.forecast")
        } catch let error as OmegaError {
            #expect(error.code == .invalidManifest && error.details["reason"]?.stringValue == "PACKAGE_DIGEST_MISMATCH")
            #expect(error.message.contains("victim.tool@1.0.0"), "\(error)")
        }
        // The installed tool is untouched: still there, still its own script.
        let installed = root + "/home/packages/victim.tool/1.0.0/run.sh"
        #expect(try String(contentsOfFile: installed, encoding: .utf8) == "echo victim\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/home/packages/weather.forecast"))
    }

    @Test func aPinnedVersionYankedSinceIsNeverOfferedAndTheToolShowsAtItsStandingVersion() throws {
        let root = Fixture.directory("registry-pin-yanked")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let line = { (version: String) -> JSONValue in
            ["id": "solar.panel", "version": .string(version), "description": "Solar panel output estimate"]
        }
        _ = try service.importIndex(file: Self.index([line("1.0.0"), line("2.0.0"), line("3.0.0")], in: root))
        let shown = { () throws -> [String] in
            try Self.service(root).search(ToolSearchRequest(query: "solar")).map {
                "\($0.entry.id)@\($0.entry.version)\($0.pinned ? " pinned" : "")"
            }
        }
        _ = try service.pin("solar.panel@1.0.0")
        #expect(try shown() == ["solar.panel@1.0.0 pinned"])
        // Yanked by its publisher after it was pinned.
        let yanked: JSONValue = [
            "id": "solar.panel", "version": "1.0.0", "description": "Solar panel output estimate", "yanked": "broken",
        ]
        _ = try service.importIndex(file: Self.index([yanked], in: root, name: "yank.jsonl"))
        #expect(try shown() == ["solar.panel@3.0.0 pinned"])
        // Yanked by this home after it was pinned.
        _ = try service.pin("solar.panel@2.0.0")
        #expect(try shown() == ["solar.panel@2.0.0 pinned"])
        try PackageService(home: service.home).yank(id: "solar.panel", version: "2.0.0", reason: "bad data")
        #expect(try shown() == ["solar.panel@3.0.0 pinned"])
    }

    @Test func aPinnedVersionTheFiltersRefuseIsNotShownUnderThem() throws {
        let root = Fixture.directory("registry-pin-filter")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let package = Fixture.package(in: root, id: "fixture.pinned", script: "cat >/dev/null\necho '{}'\n")
        _ = try PackageService(home: service.home).install(package, trustedKeys: nil, allowUnsigned: true, force: false)
        _ = try service.importIndex(
            file: Self.index(
                [["id": "fixture.pinned", "version": "0.9.0", "description": "An older fixture", "binding": "mcp_remote",
                  "risk": ["level": "high", "externalWrite": true, "readOnly": false]]], in: root))
        let fresh = try Self.service(root)
        _ = try fresh.pin("fixture.pinned@0.9.0")
        // Without filters the pinned version is the one shown.
        #expect(try fresh.search(ToolSearchRequest(query: "fixture")).map(\.entry.version.description) == ["0.9.0"])
        // Under filters it refuses, the tool shows at the version that passes them, or not at all.
        for request in [
            ToolSearchRequest(query: "fixture", installed: true), ToolSearchRequest(query: "fixture", runnable: true),
            ToolSearchRequest(query: "fixture", bindings: ["sandbox_job"]), ToolSearchRequest(query: "fixture", risks: ["low"]),
        ] {
            let results = try fresh.search(request)
            #expect(results.map { "\($0.entry.version)/\($0.installed)" } == ["1.0.0/true"], "\(request)")
        }
    }

    @Test func aProjectPinWritesItsPolicyFileWithoutFollowingALinkAtTheTemporaryNameOrLoosingItsMode() throws {
        let root = Fixture.directory("registry-pin-file")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project-policy.json"
        Fixture.write(#"{"policyVersion": 1, "safeMode": true}"#, to: project, mode: 0o600)
        // A link planted where a predictable temporary file would be written.
        let victim = root + "/victim.txt"
        Fixture.write("precious\n", to: victim)
        try FileManager.default.createSymbolicLink(atPath: project + ".tmp-\(getpid())", withDestinationPath: victim)
        let service = try Self.service(root, project: project)
        _ = try service.pin("text.stats", level: .project)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        let policy = try JSONParser().parse(try String(contentsOfFile: project, encoding: .utf8))
        #expect(policy["pins"] == ["text.stats"] && policy["safeMode"] == true)
        #expect(try service.pins().contains { $0.id == "text.stats" && $0.level == "project" && $0.source == project })
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: project)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        // Nothing else is left beside it (the planted link aside).
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: root)) == [
            "home", "project-policy.json", "victim.txt", "project-policy.json.tmp-\(getpid())",
        ])
    }

    @Test func anUnreadableIndexFileIsAnInputErrorNamingTheFileField() throws {
        let root = Fixture.directory("registry-import-field")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        Self.expectCode(.invalidInput, field: "file") { _ = try service.importIndex(file: root + "/none.jsonl") }
        Self.expectCode(.invalidInput, field: "file") { _ = try service.importIndex(file: root) }
    }
}
