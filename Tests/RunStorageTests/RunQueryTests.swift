import Foundation
import JSON
import Testing

@testable import RunStorage

/// Listing runs a page at a time: by user and status, newest first, without a gap or a repeat.
@Suite struct RunQueryTests {
    @Test func pagesOfAUsersRunsFollowEachOtherWithoutGapOrRepeat() throws {
        let dir = NSTemporaryDirectory() + "omega-query-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteRunStore(path: dir + "/runs.sqlite")
        // 25 runs of alice (several in the same millisecond), 5 of bob, 3 without a user (the local operator).
        var alices: [String] = []
        for index in 0..<25 {
            var draft = RunDraft(
                id: String(format: "run_a%02d", index), toolID: "t.x", toolVersion: "1.0.0", input: [:])
            draft.user = "alice"
            _ = try store.createRun(draft, atMs: Int64(1000 + index / 3))
            if index % 4 == 0 {
                try store.transition(runID: draft.id, to: .failed, event: .runFailed, data: [:], atMs: 5000)
            }
            alices.append(draft.id)
        }
        for index in 0..<5 {
            var draft = RunDraft(id: "run_b\(index)", toolID: "t.x", toolVersion: "1.0.0", input: [:])
            draft.user = "bob"
            _ = try store.createRun(draft, atMs: 2000 + Int64(index))
        }
        for index in 0..<3 {
            _ = try store.createRun(id: "run_l\(index)", toolID: "t.x", toolVersion: "1.0.0", input: [:], atMs: 3000)
        }

        var seen: [String] = []
        var query = RunQuery(user: "alice", limit: 7)
        while true {
            let page = try store.runs(query)
            #expect(page.count <= 7)
            seen += page.map(\.id)
            guard page.count == 7, let last = page.last else { break }
            query.before = RunCursor(after: last)
        }
        // Newest first: creation time descending, then id descending within a millisecond.
        let expected = alices.sorted { a, b in
            let (ta, tb) = (1000 + Int(a.suffix(2))! / 3, 1000 + Int(b.suffix(2))! / 3)
            return ta != tb ? ta > tb : a > b
        }
        #expect(seen == expected)
        #expect(
            try store.runs(RunQuery(status: .failed, user: "alice")).map(\.id).sorted()
                == alices.enumerated()
                .filter { $0.offset % 4 == 0 }.map(\.element).sorted())
        #expect(try store.runs(RunQuery(user: "bob")).count == 5)
        #expect(try store.runs(RunQuery(user: "local")).map(\.id).sorted() == ["run_l0", "run_l1", "run_l2"])
        #expect(try store.runs(RunQuery(user: "mallory")).isEmpty)
        #expect(try store.runs(RunQuery(limit: 1000)).count == 33)
    }

    @Test func aCursorIsMillisecondsDotIdAndNothingElseParses() {
        let cursor = RunCursor(createdAtMs: 1_796_316_953_001, id: "run_01a2")
        #expect(cursor.description == "1796316953001.run_01a2")
        #expect(RunCursor(parsing: cursor.description) == cursor)
        for bad in [
            "", ".", "12", "12.", ".run", "-1.run", "x.run", "12.RUN", "12.run/..", "12.run id", "12.run'--",
            "12." + String(repeating: "a", count: 65), "99999999999999999999.run", "1234567890123456789.run", "+12.run", " 12.run",
        ] {
            #expect(RunCursor(parsing: bad) == nil, "\(bad)")
        }
    }
}
