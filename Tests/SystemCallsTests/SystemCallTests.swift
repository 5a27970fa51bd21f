import Foundation
import Glibc
import Synchronization
import Testing

@testable import SystemCalls

/// A fresh private directory for one test, removed when the test ends.
private final class Scratch {
    let path: String

    init() throws {
        path = try SystemCall.makeTemporaryDirectory(in: "/tmp", prefix: "omega-systemcalls-")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String, _ text: String = "") throws -> String {
        let target = path + "/" + name
        let fd = try SystemCall.open(target, .createNew, permissions: 0o600)
        defer { SystemCall.close(fd) }
        try Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try SystemCall.writeAll(fd, bytes) }
        }.get()
        return target
    }
}

/// What a call threw, or nil when it did not.
private func thrown<T>(_ body: () throws(SystemCallError) -> T) -> SystemCallError? {
    do throws(SystemCallError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite struct FileCallTests {
    @Test func aFailingOpenNamesThePathAndTheErrno() {
        let error = thrown { () throws(SystemCallError) in try SystemCall.open("/nonexistent-omega/file") }
        #expect(error?.step == "open /nonexistent-omega/file")
        #expect(error?.errno == .noEntry)
        #expect(error?.description == "open /nonexistent-omega/file: ENOENT")
    }

    @Test func aCallerStepReplacesTheDefaultOne() {
        let error = thrown { () throws(SystemCallError) in
            try SystemCall.open("/nonexistent-omega", step: "open stdin /nonexistent-omega")
        }
        #expect(error?.description == "open stdin /nonexistent-omega: ENOENT")
    }

    @Test func openingASymbolicLinkWithNoFollowFailsWithELOOP() throws {
        let scratch = try Scratch()
        let target = try scratch.file("target", "secret")
        #expect(symlink(target, scratch.path + "/link") == 0)
        let error = thrown { () throws(SystemCallError) in try SystemCall.open(scratch.path + "/link", .noFollow) }
        #expect(error?.errno == .tooManyLinks)
        #expect(error?.step == "open \(scratch.path)/link")
        // Without .noFollow the link is followed, as open(2) does.
        let fd = try SystemCall.open(scratch.path + "/link")
        SystemCall.close(fd)
    }

    @Test func creatingANewFileNeverWritesThroughAPlantedLink() throws {
        let scratch = try Scratch()
        let victim = try scratch.file("victim", "keep")
        #expect(symlink(victim, scratch.path + "/planted") == 0)
        let error = thrown { () throws(SystemCallError) in
            try SystemCall.open(scratch.path + "/planted", .createNew, permissions: 0o600)
        }
        #expect(error?.errno == .exists)
        #expect(try SystemCall.readFile(victim) == Array("keep".utf8))
    }

    @Test func aPathWithANulByteIsRefusedRatherThanTruncated() throws {
        let scratch = try Scratch()
        let real = try scratch.file("real", "data")
        // C would stop at the NUL and open `real`; the wrapper refuses the whole path instead.
        let error = thrown { () throws(SystemCallError) in try SystemCall.open(real + "\0.ignored") }
        #expect(error?.errno == .invalidArgument)
        #expect(!SystemCall.isAccessible(real + "\0x", .exists))
        let dir = try SystemCall.open(scratch.path, .directoryNoFollow)
        defer { SystemCall.close(dir) }
        let byName = thrown { () throws(SystemCallError) in try SystemCall.open(at: dir, Array("real\0x".utf8)) }
        #expect(byName?.errno == .invalidArgument)
        let byUnlink = thrown { () throws(SystemCallError) in try SystemCall.unlink(real + "\0x") }
        #expect(byUnlink?.errno == .invalidArgument)
        #expect(SystemCall.isAccessible(real, .exists))
    }

    @Test func readingStopsAtTheMaximumAskedFor() throws {
        let scratch = try Scratch()
        let path = try scratch.file("big", String(repeating: "x", count: 100_000))
        #expect(try SystemCall.readFile(path, upTo: 10).count == 10)
        #expect(try SystemCall.readFile(path, upTo: 100_001).count == 100_000)
        #expect(try SystemCall.readFile(path).count == 100_000)
    }

    @Test func aNameThatIsNotUTF8IsListedAndOpenedByItsBytes() throws {
        let scratch = try Scratch()
        let dir = try SystemCall.open(scratch.path, .directoryNoFollow)
        defer { SystemCall.close(dir) }
        let name: [UInt8] = [0x66, 0xff, 0xfe]
        SystemCall.close(try SystemCall.open(at: dir, name, .createNew, permissions: 0o600))
        let entries = try SystemCall.listDirectory(dir, display: scratch.path)
        #expect(entries.map(\.name) == [name])
        #expect(entries.first?.text == nil)
        #expect(entries.first?.kind == .regular || entries.first?.kind == nil)
        #expect(try SystemCall.fileStatus(at: dir, name).kind == .regular)
        try SystemCall.unlink(at: dir, name)
        #expect(try SystemCall.listDirectory(dir, display: scratch.path).isEmpty)
    }

    @Test func makingDirectoriesCreatesTheMissingParentsOnly() throws {
        let scratch = try Scratch()
        try SystemCall.makeDirectories(scratch.path + "/a/b/c", permissions: 0o700, parentPermissions: 0o711)
        #expect(try SystemCall.fileStatus(scratch.path + "/a/b/c").permissions == 0o700 & ~currentUmask())
        #expect(try SystemCall.fileStatus(scratch.path + "/a").permissions == 0o711 & ~currentUmask())
        try SystemCall.makeDirectories(scratch.path + "/a/b/c")  // existing: fine
        #expect(try SystemCall.makeDirectory(scratch.path + "/a", existingIsFine: true) == false)
        let again = thrown { () throws(SystemCallError) in try SystemCall.makeDirectory(scratch.path + "/a") }
        #expect(again?.errno == .exists)
    }

    @Test func aRenameReplacesTheTargetAtomically() throws {
        let scratch = try Scratch()
        let old = try scratch.file("old", "new content")
        let target = try scratch.file("target", "old content")
        try SystemCall.rename(old, to: target)
        #expect(try SystemCall.readFile(target) == Array("new content".utf8))
        let gone = thrown { () throws(SystemCallError) in try SystemCall.rename(old, to: target) }
        #expect(gone?.step == "rename \(old) to \(target)")
        #expect(gone?.errno == .noEntry)
    }

    @Test func aMemoryFileHoldsItsBytesFromTheStart() throws {
        let fd = try Array("launch".utf8).withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try SystemCall.memoryFile(named: "test", containing: bytes) }
        }.get()
        defer { SystemCall.close(fd) }
        #expect(try SystemCall.readAll(fd) == Array("launch".utf8))
    }
}

@Suite struct ProcessCallTests {
    @Test func anEmptyNonBlockingPipeHasNothingAvailableRatherThanAnError() throws {
        let (read, write) = try SystemCall.pipe(nonBlocking: true)
        defer {
            SystemCall.close(read)
            SystemCall.close(write)
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        let nothing = try buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(SystemCallError) in try SystemCall.readAvailable(read, into: bytes) }
        }.get()
        #expect(nothing == nil)
        SystemCall.writeByteIgnoringErrors(write, 42)
        let one = try buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(SystemCallError) in try SystemCall.readAvailable(read, into: bytes) }
        }.get()
        #expect(one == 1 && buffer[0] == 42)
        SystemCall.close(write)
        let end = try buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(SystemCallError) in try SystemCall.readAvailable(read, into: bytes) }
        }.get()
        #expect(end == 0)
    }

    @Test func pollTimesOutWithNothingReady() throws {
        let (read, write) = try SystemCall.pipe()
        defer {
            SystemCall.close(read)
            SystemCall.close(write)
        }
        var descriptors = [SystemCall.PollDescriptor(fd: read, events: SystemCall.pollReadable, revents: 0)]
        #expect(try SystemCall.poll(&descriptors, timeoutMilliseconds: 10) == 0)
    }

    @Test func retryingRepeatsACallThatFailedWithEINTR() throws {
        var attempts = 0
        let result = try SystemCall.retrying("test") { () -> Int32 in
            attempts += 1
            if attempts < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && attempts == 3)
        let error = thrown { () throws(SystemCallError) in
            try SystemCall.retrying("test step") { () -> Int32 in
                errno = EBADF
                return -1
            }
        }
        #expect(error == SystemCallError("test step", errno: .badFileDescriptor))
    }
}

/// Interruptions counted by the SIGUSR1 handler of ``InterruptionTests``.
private let interruptions = Atomic<Int>(0)

@Suite(.serialized) struct InterruptionTests {
    /// Installs a SIGUSR1 handler without `SA_RESTART` (so a blocked `read(2)` fails with `EINTR`),
    /// runs `body` on a thread of its own while signalling that thread every 5 ms for 100 ms, and
    /// restores the old handler.
    private func whileInterrupted<T: Sendable>(
        _ body: @escaping @Sendable () -> T, feed: Int32
    ) throws -> (result: T, interruptions: Int) {
        _ = interruptions.load(ordering: .relaxed)  // initialized before the handler may run
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptions.add(1, ordering: .relaxed) }
        action.sa_flags = 0  // no SA_RESTART
        sigemptyset(&action.sa_mask)
        var old = sigaction()
        #expect(sigaction(SIGUSR1, &action, &old) == 0)
        defer { sigaction(SIGUSR1, &old, nil) }
        let before = interruptions.load(ordering: .relaxed)

        // The thread stays alive until the signalling is over: pthread_kill needs a live thread.
        let state = Mutex<(thread: pthread_t?, result: T?, done: Bool)>((nil, nil, false))
        let thread = Thread {
            var usr1 = sigset_t()
            sigemptyset(&usr1)
            sigaddset(&usr1, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &usr1, nil)  // a thread may inherit a mask that blocks it
            state.withLock { $0.thread = pthread_self() }
            let result = body()
            state.withLock { $0.result = result }
            while !state.withLock({ $0.done }) { usleep(1000) }
        }
        thread.start()
        defer { state.withLock { $0.done = true } }
        while state.withLock({ $0.thread }) == nil { usleep(1000) }
        let target = state.withLock { $0.thread }!
        for _ in 0..<20 {
            pthread_kill(target, SIGUSR1)
            usleep(5000)
        }
        SystemCall.writeByteIgnoringErrors(feed, 1)  // now let a read finish
        let deadline = Date().addingTimeInterval(10)
        while state.withLock({ $0.result }) == nil && Date() < deadline { usleep(1000) }
        let result = try #require(state.withLock { $0.result })
        return (result, interruptions.load(ordering: .relaxed) - before)
    }

    @Test func aBlockedReadInterruptedByASignalIsRetried() throws {
        // Control: the raw call is interrupted (so the setup really produces EINTR)...
        let (controlRead, controlWrite) = try SystemCall.pipe()
        defer {
            SystemCall.close(controlRead)
            SystemCall.close(controlWrite)
        }
        let control = try whileInterrupted(
            { () -> Int32 in
                var byte: UInt8 = 0
                return Glibc.read(controlRead, &byte, 1) < 0 ? errno : 0
            }, feed: controlWrite)
        #expect(control.result == EINTR)

        // ...and the wrapper retries it until the byte arrives.
        let (read, write) = try SystemCall.pipe()
        defer {
            SystemCall.close(read)
            SystemCall.close(write)
        }
        let wrapped = try whileInterrupted(
            { () -> String in
                var byte: UInt8 = 0
                do throws(SystemCallError) {
                    let n = try withUnsafeMutableBytes(of: &byte) { bytes in
                        Result { () throws(SystemCallError) in try SystemCall.read(read, into: bytes) }
                    }.get()
                    return "read \(n) byte(s)"
                } catch {
                    return error.description
                }
            }, feed: write)
        #expect(wrapped.interruptions >= 1)
        #expect(wrapped.result == "read 1 byte(s)")
    }
}

/// The process's umask (read by setting it and setting it back).
private func currentUmask() -> UInt32 {
    let mask = umask(0o022)
    umask(mask)
    return UInt32(mask)
}
