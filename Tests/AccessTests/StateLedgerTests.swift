import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Access

/// The ledger of used MCP request states: a nonce is consumed exactly once, whoever tries, from
/// however many stores, tasks or processes.
@Suite struct StateLedgerTests {
    @Test func aStateIsConsumedOnceThenRefused() throws {
        let directory = Fixture.directory("ledger")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AccessStore(path: directory + "/access.sqlite")
        #expect(try store.consumeState(nonce: "n-1_A", expiresAtMs: 10_000, nowMs: 1_000))
        #expect(try !store.consumeState(nonce: "n-1_A", expiresAtMs: 10_000, nowMs: 1_001))
        #expect(try !store.consumeState(nonce: "n-1_A", expiresAtMs: 99_000, nowMs: 2_000))
        #expect(try store.consumeState(nonce: "n-2", expiresAtMs: 10_000, nowMs: 2_000))
    }

    @Test func twoStoresOnOneFileConsumeAStateOnce() throws {
        let directory = Fixture.directory("ledger-two")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try AccessStore(path: directory + "/access.sqlite")
        let second = try AccessStore(path: directory + "/access.sqlite")
        #expect(try first.consumeState(nonce: "shared", expiresAtMs: 10_000, nowMs: 1))
        #expect(try !second.consumeState(nonce: "shared", expiresAtMs: 10_000, nowMs: 2))
        #expect(try second.consumeState(nonce: "other", expiresAtMs: 10_000, nowMs: 3))
        #expect(try !first.consumeState(nonce: "other", expiresAtMs: 10_000, nowMs: 4))
    }

    @Test func exactlyOneOfEightConcurrentConsumersWins() async throws {
        let directory = Fixture.directory("ledger-race")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/access.sqlite"
        for round in 0..<5 {
            let nonce = "race-\(round)"
            // Each task opens its own store (on a fresh file in round 0: the opens race too).
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let store = try AccessStore(path: path)
                        return try store.consumeState(nonce: nonce, expiresAtMs: Int64.max, nowMs: 1)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1, "round \(round)")
        }
        // One store shared by 8 tasks.
        let shared = try AccessStore(path: path)
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { try shared.consumeState(nonce: "shared-store", expiresAtMs: Int64.max, nowMs: 1) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try shared.usedStateCount() == 6)
    }

    @Test func exactlyOneOfEightThreadsWithTheirOwnStoresWins() throws {
        let directory = Fixture.directory("ledger-threads")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/access.sqlite"
        // Eight OS threads (the cooperative pool may have as few threads as cores), released together.
        let results = Mutex<[Result<Bool, AccessError>]>([])
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                start.wait()
                let result = Result { () throws(AccessError) -> Bool in
                    try AccessStore(path: path).consumeState(nonce: "threads", expiresAtMs: Int64.max, nowMs: 1)
                }
                results.withLock { $0.append(result) }
            }
        }
        for _ in 0..<8 { start.signal() }
        done.wait()
        let outcomes = results.withLock { $0 }
        #expect(outcomes.count == 8)
        #expect(outcomes.filter { (try? $0.get()) == true }.count == 1)
        #expect(outcomes.filter { (try? $0.get()) == false }.count == 7)
    }

    @Test func expiredStatesArePrunedAndNeverConsumedAgain() throws {
        let directory = Fixture.directory("ledger-prune")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AccessStore(path: directory + "/access.sqlite")
        #expect(try store.consumeState(nonce: "short", expiresAtMs: 5_000, nowMs: 1_000))
        #expect(try store.consumeState(nonce: "long", expiresAtMs: 500_000, nowMs: 1_000))
        #expect(try store.usedStateCount() == 2)
        // Within the prune interval nothing is deleted…
        #expect(try store.consumeState(nonce: "third", expiresAtMs: 500_000, nowMs: 6_000))
        #expect(try store.usedStateCount() == 3)
        // …after it, the next consume deletes the expired row.
        #expect(
            try store.consumeState(nonce: "fourth", expiresAtMs: 500_000, nowMs: 1_000 + AccessStore.pruneIntervalMs))
        #expect(try store.usedStateCount() == 3)
        // The pruned nonce cannot come back: its state has expired.
        #expect(try !store.consumeState(nonce: "short", expiresAtMs: 5_000, nowMs: 70_000))
        #expect(try !store.consumeState(nonce: "long", expiresAtMs: 500_000, nowMs: 70_000))
        // An explicit prune past every expiry empties the ledger.
        #expect(try store.pruneStates(nowMs: 600_000) == 3)
        #expect(try store.usedStateCount() == 0)
    }

    @Test func anAlreadyExpiredStateIsNeverConsumed() throws {
        let directory = Fixture.directory("ledger-expired")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AccessStore(path: directory + "/access.sqlite")
        #expect(try !store.consumeState(nonce: "late", expiresAtMs: 1_000, nowMs: 1_000))
        #expect(try !store.consumeState(nonce: "later", expiresAtMs: 1_000, nowMs: 2_000))
        #expect(try store.usedStateCount() == 0)
    }

    @Test func malformedNoncesNameTheirField() throws {
        let directory = Fixture.directory("ledger-nonce")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AccessStore(path: directory + "/access.sqlite")
        for nonce in ["", String(repeating: "n", count: 65), "a b", "a.b", "a/b", "é", "a\u{0}", "x\n"] {
            do {
                _ = try store.consumeState(nonce: nonce, expiresAtMs: 10_000, nowMs: 1)
                Issue.record("nonce \(nonce) was accepted")
            } catch {
                #expect(error.code == .invalidInput && error.field == "nonce", "\(nonce)")
            }
        }
        #expect(try store.consumeState(nonce: String(repeating: "n", count: 64), expiresAtMs: 10_000, nowMs: 1))
        #expect(try store.usedStateCount() == 1)
    }
}
