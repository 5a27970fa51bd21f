import Foundation
import JSON
import Testing

@testable import RunStorage

/// The run store keeps an ordered, append-only, secret-free log that survives its process.
@Suite struct RunStoreTests {
    func temporaryStore() throws -> (SQLiteRunStore, String) {
        let dir = NSTemporaryDirectory() + "omega-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try SQLiteRunStore(path: dir + "/runs.sqlite"), dir)
    }

    @Test func aReloadedRunShowsTheSameTimeline() throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.createRun(
            id: "r1", toolID: "data.csv_analyze", toolVersion: "1.0.0", input: ["csv": "a,b"], atMs: 1)
        try store.transition(runID: "r1", to: .running, event: .stepStarted, data: ["step": "validate"], atMs: 2)
        try store.append(runID: "r1", type: .toolStarted, data: ["pid": 2], atMs: 3)
        try store.transition(runID: "r1", to: .completed, event: .runCompleted, data: ["ok": true], atMs: 4)
        let live = try store.events(runID: "r1", after: 0)
        #expect(live.map(\.sequence) == [1, 2, 3, 4])
        #expect(live.map(\.type) == [.runCreated, .stepStarted, .toolStarted, .runCompleted])
        let reopened = try SQLiteRunStore(path: store.path)
        #expect(try reopened.events(runID: "r1", after: 0) == live)
        #expect(try reopened.run(id: "r1")?.status == .completed)
        #expect(try reopened.events(runID: "r1", after: 2).map(\.sequence) == [3, 4])
    }

    @Test func eventsCannotBeChangedOrDeletedEvenWithRawSQL() throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.createRun(id: "r1", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 1)
        // Raw SQL on the store's own connection (GRDB is RunStorage's, not a dependency of these tests).
        let pool = store.pool
        #expect(throws: (any Error).self) { try pool.write { try $0.execute(sql: "UPDATE events SET type = 'x'") } }
        #expect(throws: (any Error).self) { try pool.write { try $0.execute(sql: "DELETE FROM events") } }
        #expect(throws: (any Error).self) { try pool.write { try $0.execute(sql: "DELETE FROM runs") } }
        #expect(try store.events(runID: "r1", after: 0).count == 1)
    }

    @Test func fiftyConcurrentWritersLoseAndReorderNothing() async throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for run in 0..<5 {
            _ = try store.createRun(id: "r\(run)", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<50 {
                group.addTask {
                    for n in 0..<20 {
                        try store.append(
                            runID: "r\(writer % 5)", type: .toolOutput,
                            data: ["writer": .integer(Int64(writer)), "n": .integer(Int64(n))], atMs: Int64(n))
                    }
                }
            }
            try await group.waitForAll()
        }
        for run in 0..<5 {
            let events = try store.events(runID: "r\(run)", after: 0)
            #expect(events.map(\.sequence) == Array(1...201))  // run.created + 10 writers × 20
            // Each writer's own events stay in the order it wrote them.
            for writer in stride(from: run, to: 50, by: 5) {
                let mine = events.filter { $0.data["writer"] == .integer(Int64(writer)) }.compactMap { $0.data["n"] }
                #expect(mine == (0..<20).map { JSONValue.integer(Int64($0)) })
            }
        }
    }

    @Test func finalRunsCannotBeRevivedAndUnknownRunsAreNamed() throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.createRun(id: "r1", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 1)
        try store.transition(runID: "r1", to: .cancelled, event: .runCancelled, data: [:], atMs: 2)
        #expect(
            throws: RunStoreError(.invalidTransition, "run r1 is cancelled; it cannot become running")
        ) {
            try store.transition(runID: "r1", to: .running, event: .runResumed, data: [:], atMs: 3)
        }
        do { try store.append(runID: "nope", type: .toolOutput, data: [:], atMs: 1) } catch {
            #expect(error.code == .runNotFound)
        }
        do {
            _ = try store.createRun(id: "r1", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 1)
            Issue.record("created twice")
        } catch {
            #expect(error.code == .runExists)
        }
    }

    @Test func runsLeftRunningByADeadProcessBecomeInterrupted() throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.createRun(id: "running", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 1)
        try store.transition(runID: "running", to: .running, event: .stepStarted, data: [:], atMs: 2)
        _ = try store.createRun(id: "paused", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 3)
        try store.transition(runID: "paused", to: .paused, event: .runPaused, data: [:], atMs: 4)
        _ = try store.createRun(id: "done", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 5)
        try store.transition(runID: "done", to: .failed, event: .runFailed, data: [:], atMs: 6)
        let restarted = try SQLiteRunStore(path: store.path)
        #expect(try restarted.markInterrupted(atMs: 10, includePaused: false) == ["running"])
        #expect(try restarted.run(id: "running")?.status == .interrupted)
        #expect(try restarted.events(runID: "running", after: 0).last?.type == .runInterrupted)
        #expect(try restarted.run(id: "paused")?.status == .paused)  // a paused run can still be resumed
        #expect(try restarted.runs(status: .interrupted, limit: 10).map(\.id) == ["running"])
    }

    @Test func credentialsNeverReachTheDatabaseFile() throws {
        let (store, dir) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
        _ = try store.createRun(id: "r1", toolID: "a.b", toolVersion: "1.0.0", input: ["token": .string(key)], atMs: 1)
        try store.append(
            runID: "r1", type: .toolOutput, data: ["stderr": .string("using \(key)"), "nested": [.string(key)]], atMs: 2
        )
        #expect(try store.run(id: "r1")?.input == ["token": "[REDACTED:openai-key]"])
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
            #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the key")
        }
    }
}
