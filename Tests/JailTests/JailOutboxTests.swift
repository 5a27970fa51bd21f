import Foundation
import Glibc
import Testing
import TestSupport

@testable import Jail

/// The size-capped artifact outbox: real jail runs write into it through a writable bind at /work/out, the host
/// collects it. Most tests need root (the outbox is then a tmpfs of its own).
@Suite(.serialized) struct JailOutboxTests {
    static var canJail: Bool { JailRunTests.canJail }
    static var isRoot: Bool { geteuid() == 0 }

    /// A scratch directory (0755, so the jail's host uid can reach an outbox in it), removed at the end.
    final class Scratch {
        let path: String

        init() throws {
            path = Fixture.directory("outbox-test")
        }

        deinit {
            JailOutbox.cleanupStale(under: path)
            try? FileManager.default.removeItem(atPath: path)
        }

        func outbox(capacity: UInt64 = 1 << 20, maxFiles: Int = 64) throws -> JailOutbox {
            let jail = JailRunTests.jail
            return try JailOutbox.create(
                at: path + "/out", capacityBytes: capacity, maxFiles: maxFiles, ownerUID: jail.hostUID,
                ownerGID: jail.hostGID)
        }
    }

    /// Runs `script` in the jail with `outbox` bound writable at /work/out.
    func run(_ script: String, outbox: JailOutbox) throws -> JailResult {
        var spec = JailSpec(program: "/bin/sh", arguments: ["-c", script])
        spec.seccompProgram = JailRunTests.seccomp
        spec.limits.wallSeconds = 20
        spec.binds = [.init(source: outbox.path, destination: "/work/out", writable: true)]
        return try JailRunTests.jail.run(spec)
    }

    @Test(.enabled(if: canJail)) func artifactsOfARealRunAreCollectedWithPathsAndSizes() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        #expect(outbox.isCapped == Self.isRoot)
        let result = try run(
            """
            printf hello > /work/out/delivery.json && mkdir -p /work/out/sub/deep /work/out/empty \
            && head -c 3000 /dev/zero > /work/out/sub/x.txt && printf z > /work/out/sub/deep/y
            """, outbox: outbox)
        #expect(result.status == .ok, "\(result)")
        let destination = scratch.path + "/collected"
        let artifacts = try outbox.collect(into: destination, maxBytes: 1 << 20, maxFiles: 100)
        #expect(
            artifacts == [
                JailArtifact(path: "delivery.json", bytes: 5, status: .copied),
                JailArtifact(path: "sub/deep/y", bytes: 1, status: .copied),
                JailArtifact(path: "sub/x.txt", bytes: 3000, status: .copied),
            ])
        #expect(try String(contentsOfFile: destination + "/delivery.json", encoding: .utf8) == "hello")
        #expect(FileManager.default.contents(atPath: destination + "/sub/x.txt") == Data(count: 3000))
        #expect(mode(destination + "/sub/x.txt") == 0o600)
        #expect(mode(destination + "/sub") == 0o700)
        #expect(mode(destination) == 0o700)
        #expect(!FileManager.default.fileExists(atPath: destination + "/empty"), "an empty directory was made")
        #expect(outbox.remove())
    }

    @Test(.enabled(if: canJail && isRoot)) func writingPastTheCapacityGetsENOSPCAndSparesTheHostDisk() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox(capacity: 1 << 20)
        defer { outbox.remove() }
        #expect(mountType(at: outbox.path) == "tmpfs")
        let result = try run("head -c 4194304 /dev/zero > /work/out/big; echo rc=$?", outbox: outbox)
        #expect(result.stdout == "rc=1\n", "\(result)")
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: outbox.path + "/big")[.size] as? Int) ?? -1
        #expect(size > 0 && size <= 1 << 20, "\(size)")
    }

    @Test(.enabled(if: canJail && isRoot)) func creatingPastMaxFilesFails() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox(maxFiles: 10)
        defer { outbox.remove() }
        let result = try run(
            "i=0; while [ $i -lt 100 ] && touch /work/out/f$i 2>/dev/null; do i=$((i+1)); done; echo $i",
            outbox: outbox)
        let created = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(created >= 10 && created < 100, "\(result)")
    }

    @Test(.enabled(if: canJail)) func plantedSymlinksAreRefusedAndNeverFollowed() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        let result = try run(
            "ln -s /etc/shadow /work/out/x && ln -s / /work/out/root && mkdir /work/out/d && ln -s .. /work/out/d/up",
            outbox: outbox)
        #expect(result.status == .ok, "\(result)")
        let destination = scratch.path + "/collected"
        let artifacts = try outbox.collect(into: destination, maxBytes: 1 << 30, maxFiles: 100)
        #expect(
            artifacts == [
                JailArtifact(path: "d/up", bytes: 0, status: .refused("symbolic link")),
                JailArtifact(path: "root", bytes: 0, status: .refused("symbolic link")),
                JailArtifact(path: "x", bytes: 0, status: .refused("symbolic link")),
            ])
        let left = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? ["?"]
        #expect(left.isEmpty, "\(left)")
    }

    @Test(.enabled(if: canJail)) func fifosAndSocketsAreRefusedWithoutBlocking() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        let result = try run(
            """
            mkfifo /work/out/pipe && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("/work/out/sock")' \
            && printf ok > /work/out/z
            """, outbox: outbox)
        #expect(result.status == .ok, "\(result)")
        let start = Syscalls.monotonicNs()
        let artifacts = try outbox.collect(into: scratch.path + "/collected", maxBytes: 1 << 20, maxFiles: 100)
        #expect(Syscalls.monotonicNs() - start < 1_000_000_000)
        #expect(
            artifacts == [
                JailArtifact(path: "pipe", bytes: 0, status: .refused("fifo")),
                JailArtifact(path: "sock", bytes: 0, status: .refused("socket")),
                JailArtifact(path: "z", bytes: 2, status: .copied),
            ])
    }

    @Test(.enabled(if: canJail)) func namesThatAreNotUTF8AreRefused() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        let result = try run(#"printf x > "$(printf '/work/out/bad\377name')""#, outbox: outbox)
        #expect(result.status == .ok, "\(result)")
        let artifacts = try outbox.collect(into: scratch.path + "/collected", maxBytes: 1 << 20, maxFiles: 100)
        #expect(artifacts.count == 1)
        #expect(artifacts.first?.status == .refused("name is not valid UTF-8"), "\(artifacts)")
        #expect(outbox.remove(), "a name that is not UTF-8 must not keep the outbox alive")
    }

    @Test func collectingStopsAtMaxFilesAndMaxBytes() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        for name in ["a", "b", "c", "d", "e"] {
            try Data(count: 100).write(to: URL(fileURLWithPath: outbox.path + "/" + name))
        }
        let byFiles = try outbox.collect(into: scratch.path + "/files", maxBytes: 1 << 20, maxFiles: 3)
        #expect(
            byFiles == [
                JailArtifact(path: "a", bytes: 100, status: .copied),
                JailArtifact(path: "b", bytes: 100, status: .copied),
                JailArtifact(path: "c", bytes: 100, status: .copied),
                JailArtifact(path: "d", bytes: 100, status: .skippedOverLimit),
            ])
        let byBytes = try outbox.collect(into: scratch.path + "/bytes", maxBytes: 250, maxFiles: 100)
        #expect(
            byBytes == [
                JailArtifact(path: "a", bytes: 100, status: .copied),
                JailArtifact(path: "b", bytes: 100, status: .copied),
                JailArtifact(path: "c", bytes: 100, status: .skippedOverLimit),
            ])
        let copied = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/bytes").sorted()
        #expect(copied == ["a", "b"])
    }

    @Test func directoriesDeeperThanTheLimitAreRefused() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        let shallow = Array(repeating: "d", count: JailOutbox.maxDepth).joined(separator: "/")
        try FileManager.default.createDirectory(
            atPath: outbox.path + "/" + shallow + "/d", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: outbox.path + "/" + shallow + "/f"))
        try Data("y".utf8).write(to: URL(fileURLWithPath: outbox.path + "/" + shallow + "/d/g"))
        let artifacts = try outbox.collect(into: scratch.path + "/collected", maxBytes: 1 << 20, maxFiles: 100)
        #expect(
            artifacts == [
                JailArtifact(path: shallow + "/d", bytes: 0, status: .refused("deeper than 16 directories")),
                JailArtifact(path: shallow + "/f", bytes: 1, status: .copied),
            ])
    }

    @Test func collectingNeverWritesThroughALinkInTheDestination() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        defer { outbox.remove() }
        try Data("artifact".utf8).write(to: URL(fileURLWithPath: outbox.path + "/delivery.json"))
        let victim = scratch.path + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let destination = scratch.path + "/collected"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: destination + "/delivery.json", withDestinationPath: victim)
        #expect(throws: JailError.self) {
            try outbox.collect(into: destination, maxBytes: 1 << 20, maxFiles: 10)
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
    }

    @Test func removeUnmountsAndDeletesWithoutFollowingLinks() throws {
        let scratch = try Scratch()
        let outbox = try scratch.outbox()
        let keep = scratch.path + "/keep"
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: false)
        try Data("k".utf8).write(to: URL(fileURLWithPath: keep + "/file"))
        try FileManager.default.createDirectory(atPath: outbox.path + "/a/b", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: outbox.path + "/a/link", withDestinationPath: keep)
        try Data("x".utf8).write(to: URL(fileURLWithPath: outbox.path + "/a/b/x"))
        chmod(outbox.path + "/a/b", 0)
        #expect(outbox.remove())
        #expect(mountType(at: outbox.path) == nil, "still mounted")
        #expect(!FileManager.default.fileExists(atPath: outbox.path))
        #expect(FileManager.default.fileExists(atPath: keep + "/file"), "remove followed a link")
    }

    @Test(.enabled(if: isRoot)) func cleanupStaleDetachesAndRemovesLeftoverOutboxes() throws {
        let scratch = try Scratch()
        let base = scratch.path + "/outboxes"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        let jail = JailRunTests.jail
        let first = try JailOutbox.create(
            at: base + "/1", capacityBytes: 4096, maxFiles: 4, ownerUID: jail.hostUID, ownerGID: jail.hostGID)
        let second = try JailOutbox.create(
            at: base + "/2", capacityBytes: 4096, maxFiles: 4, ownerUID: jail.hostUID, ownerGID: jail.hostGID)
        try Data("x".utf8).write(to: URL(fileURLWithPath: second.path + "/x"))
        #expect(mountType(at: first.path) == "tmpfs" && mountType(at: second.path) == "tmpfs")
        let removed = JailOutbox.cleanupStale(under: base)
        #expect(removed.sorted() == [first.path, second.path])
        #expect(mountType(at: first.path) == nil && mountType(at: second.path) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).isEmpty)
    }

    @Test func removeStaleRemovesOneOutboxAndLeavesItsNeighbours() throws {
        let scratch = try Scratch()
        let jail = JailRunTests.jail
        let stale = try JailOutbox.create(
            at: scratch.path + "/stale", capacityBytes: 4096, maxFiles: 4, ownerUID: jail.hostUID,
            ownerGID: jail.hostGID)
        let live = try JailOutbox.create(
            at: scratch.path + "/live", capacityBytes: 4096, maxFiles: 4, ownerUID: jail.hostUID,
            ownerGID: jail.hostGID)
        defer { live.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: stale.path + "/x"))
        try Data("y".utf8).write(to: URL(fileURLWithPath: live.path + "/y"))
        #expect(JailOutbox.removeStale(at: stale.path))
        #expect(mountType(at: stale.path) == nil && !FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: live.path + "/y"))
        #expect(mountType(at: live.path) == (live.isCapped ? "tmpfs" : nil))
    }

    @Test func invalidArgumentsAndExistingPathsAreRefused() throws {
        let scratch = try Scratch()
        let jail = JailRunTests.jail
        #expect(throws: JailError.invalid("outbox", "capacity must be at least 1 byte")) {
            try JailOutbox.create(
                at: scratch.path + "/o", capacityBytes: 0, maxFiles: 1, ownerUID: jail.hostUID,
                ownerGID: jail.hostGID)
        }
        #expect(throws: JailError.self) {
            try JailOutbox.create(
                at: scratch.path, capacityBytes: 1, maxFiles: 1, ownerUID: jail.hostUID, ownerGID: jail.hostGID)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/o"))
    }
}

/// The permission bits of `path` (not following a link).
private func mode(_ path: String) -> mode_t {
    var st = stat()
    guard lstat(path, &st) == 0 else { return 0o7777 }
    return st.st_mode & 0o7777
}

/// The file system type mounted at `path` in this process's mount namespace (the topmost), or nil.
private func mountType(at path: String) -> String? {
    let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    var found: String?
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[4] == path, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count
        else { continue }
        found = String(fields[dash + 1])
    }
    return found
}
