import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

@testable import Jail

/// Cancelling runs through `JailCancellation` (in-process `Jail.run`).
@Suite(.serialized) struct JailCancellationTests {
    static var canJail: Bool { JailRunTests.canJail }

    func spec(_ script: String) -> JailSpec {
        var spec = JailSpec(program: "/bin/sh", arguments: ["-c", script])
        spec.seccompProgram = JailRunTests.seccomp
        spec.limits.wallSeconds = 60
        return spec
    }

    func expectCancelledVerdict(_ result: JailResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == .signaled, "\(result)", sourceLocation: sourceLocation)
        #expect(result.signal == SIGKILL, "\(result)", sourceLocation: sourceLocation)
        #expect(result.exitCode == nil, "\(result)", sourceLocation: sourceLocation)
        #expect(result.error == "cancelled by the caller", "\(result)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: canJail)) func cancellingFromAnotherThreadEndsTheRunPromptly() throws {
        let token = JailCancellation()
        Thread.detachNewThread {
            usleep(200_000)
            token.cancel()
        }
        let start = Syscalls.monotonicNs()
        let result = try JailRunTests.jail.run(spec("sleep 30"), cancellation: token)
        let elapsedMs = Double(Syscalls.monotonicNs() - start) / 1e6
        expectCancelledVerdict(result)
        #expect(elapsedMs >= 150 && elapsedMs < 1000, "the run took \(elapsedMs) ms")
        #expect(token.isCancelled)
    }

    @Test(.enabled(if: canJail)) func cancellingKillsDetachedDescendants() throws {
        // A duration no other process uses identifies the run's sleepers on the host.
        let marker = "\(Int.random(in: 100_000...999_999)).5"
        let token = JailCancellation()
        let seen = Counter()
        Thread.detachNewThread {
            let deadline = Syscalls.monotonicNs() + 10_000_000_000
            while sleepers(marker).count < 4 && Syscalls.monotonicNs() < deadline { usleep(10_000) }
            seen.value.store(sleepers(marker).count, ordering: .sequentiallyConsistent)
            token.cancel()
        }
        // A session leader with two children, a double-forked orphan, and the tool's own sleep.
        let script = "setsid sh -c 'sleep \(marker) & sleep \(marker) & wait' & (sleep \(marker) &); sleep \(marker)"
        let result = try JailRunTests.jail.run(spec(script), cancellation: token)
        expectCancelledVerdict(result)
        #expect(seen.value.load(ordering: .sequentiallyConsistent) >= 4, "the sleepers never all started")
        let survivors = sleepers(marker)
        defer { for pid in survivors { kill(pid, SIGKILL) } }
        #expect(survivors.isEmpty, "processes outlived the cancelled run: \(survivors)")
    }

    @Test(.enabled(if: canJail)) func preCancelledTokenStartsNothing() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var marked = spec("echo ran > /work/mark/ran")
        marked.binds = [.init(source: directory, destination: "/work/mark", writable: true)]

        let control = try JailRunTests.jail.run(marked, cancellation: JailCancellation())
        #expect(control.status == .ok, "\(control)")
        #expect(FileManager.default.fileExists(atPath: directory + "/ran"), "the control run left no mark")
        try FileManager.default.removeItem(atPath: directory + "/ran")

        let token = JailCancellation()
        token.cancel()
        let result = try JailRunTests.jail.run(marked, cancellation: token)
        expectCancelledVerdict(result)
        #expect(result.wallMs < 100, "\(result.wallMs)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/ran"), "the program ran")
    }

    @Test(.enabled(if: canJail)) func cancellingAfterTheRunFinishedIsHarmless() throws {
        let token = JailCancellation()
        let result = try JailRunTests.jail.run(spec("echo hi"), cancellation: token)
        #expect(result.status == .ok && result.stdout == "hi\n" && result.error == nil, "\(result)")
        token.cancel()
        token.cancel()
        #expect(token.isCancelled)
        let next = try JailRunTests.jail.run(spec("echo again"), cancellation: JailCancellation())
        #expect(next.status == .ok && next.stdout == "again\n", "\(next)")
        expectCancelledVerdict(try JailRunTests.jail.run(spec("echo late"), cancellation: token))
    }

    @Test func cancelIsIdempotentAcrossThreads() async {
        let token = JailCancellation()
        #expect(!token.isCancelled)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { token.cancel() } }
        }
        #expect(token.isCancelled)
        var pfd = pollfd(fd: token.readFD, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 0) == 1, "the supervisor would not be woken")
    }
}

/// A counter shared with a helper thread.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Host pids of processes whose argv is exactly `sleep <marker>`.
private func sleepers(_ marker: String) -> [Int32] {
    let wanted = Array("sleep\0\(marker)\0".utf8)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> Int32? in
        guard let pid = Int32(name),
            let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
            Array(data) == wanted
        else { return nil }
        return pid
    }
}

/// A fresh directory anyone may write (the jail's host uid must reach it).
private func makeTemporaryDirectory() throws -> String { Fixture.directory("cancel", mode: 0o777) }
