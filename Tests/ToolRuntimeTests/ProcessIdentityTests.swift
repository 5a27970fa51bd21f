import Foundation
import Testing
import TestSupport

@testable import RunStorage
@testable import ToolRuntime

/// Recovery interrupts only runs whose driving process is really gone: a live owner is kept, and an
/// owner whose pid was reused by another process (other start time) or who ran before a reboot
/// (other boot id) counts as dead.
@Suite struct ProcessIdentityTests {
    @Test func theCurrentProcessIsAliveAndAReusedPidOrAnotherBootIsNot() {
        let me = ProcessIdentity.current
        #expect(ProcessIdentity.isAlive(me))
        let parts = me.split(separator: ":").map(String.init)
        #expect(parts.count == 3)
        #expect(!ProcessIdentity.isAlive("\(parts[0]):\(parts[1]):\((Int(parts[2]) ?? 0) + 1)"), "a reused pid")
        #expect(!ProcessIdentity.isAlive("otherboot:\(parts[1]):\(parts[2])"), "another boot")
        #expect(!ProcessIdentity.isAlive("garbage"))
    }

    @Test func recoveryKeepsRunsOfLiveOwnersAndInterruptsTheRest() throws {
        let dir = NSTemporaryDirectory() + "omega-owner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteRunStore(path: dir + "/runs.sqlite")
        let me = ProcessIdentity.current
        let parts = me.split(separator: ":").map(String.init)
        let reused = "\(parts[0]):\(parts[1]):\((Int(parts[2]) ?? 0) + 1)"
        for (id, owner) in [("live", me), ("reused", reused)] {
            _ = try store.createRun(
                RunDraft(id: id, toolID: "a.b", toolVersion: "1.0.0", input: [:], owner: owner), atMs: 1)
            try store.transition(runID: id, to: .running, event: .stepStarted, data: [:], atMs: 2)
        }
        let interrupted = try store.markInterrupted(
            atMs: 3, includePaused: false, isOwnerAlive: ProcessIdentity.isAlive)
        #expect(interrupted == ["reused"])
        #expect(try store.run(id: "live")?.status == .running)
        #expect(try store.run(id: "reused")?.status == .interrupted)
    }
}
