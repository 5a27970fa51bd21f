import Audit
import Foundation
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

/// `omega-exec audit verify|list`, run through the built binary over records the service appended:
/// intact logs pass, and a line edited, deleted or moved with plain file I/O fails naming the line.
@Suite(.serialized) struct AuditCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], home: String) throws -> Run {
        let binary = try #require(OmegaCLI.binary, "omega-exec not built")
        let result = try HostProcess.run([binary] + arguments, environment: ["OMEGA_HOME": home], timeout: 60)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// A home with `count` records appended through the service; returns the home and the log's path.
    func homeWithRecords(_ label: String, count: Int) throws -> (root: String, home: String, log: String) {
        let root = Fixture.directory(label)
        let home = root + "/home"
        let service = try AuditService(home: OmegaHome(root: home))
        for index in 1...count {
            let kind: AuditKind = index.isMultiple(of: 2) ? .credentialAccess : .toolCall
            let written = service.record(
                kind, actor: AuditActor(user: "alice", keyID: "key_0123456789abcdef"),
                fields: ["runId": .string("run_\(index)"), "toolId": "acme.echo", "status": "completed"])
            _ = try written.get()
        }
        return (root, home, AuditService.directory(OmegaHome(root: home)) + "/audit.jsonl")
    }

    /// The log's lines, changed by `change`, written back with plain file I/O.
    func tamper(_ path: String, _ change: (inout [String]) -> Void) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        change(&lines)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
    }

    /// `audit verify --json`'s problem (requires exit code 1).
    func problem(_ home: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let result = try run(["audit", "verify", "--json"], home: home)
        #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
        let report = try JSONParser().parse(result.stdout)
        #expect(report["intact"] == .bool(false), sourceLocation: sourceLocation)
        return try #require(report["problem"], sourceLocation: sourceLocation)
    }

    @Test func verifyPassesOnAnIntactLogAndListShowsTheLastRecords() throws {
        let (root, home, _) = try homeWithRecords("cli-audit", count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let verified = try run(["audit", "verify"], home: home)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("intact: 6 record(s), last seq 6"))
        let json = try JSONParser().parse(try run(["audit", "verify", "--json"], home: home).stdout)
        #expect(json["intact"] == .bool(true) && json["recordsChecked"] == .integer(6) && json["problem"] == .null)

        let listed = try run(["audit", "list", "--limit", "2", "--json"], home: home)
        #expect(listed.status == 0, "\(listed)")
        let records = try JSONParser().parse(listed.stdout).arrayValue ?? []
        #expect(records.map { $0["seq"] } == [.integer(5), .integer(6)])
        #expect(records.last?["kind"] == "credential.access" && records.last?["actor"]?["user"] == "alice")
        #expect(records.last?["hash"]?.stringValue?.count == 64)
        let text = try run(["audit", "list"], home: home)
        #expect(text.status == 0 && text.stdout.split(separator: "\n").count == 6, "\(text)")
        #expect(text.stdout.contains("tool.call") && text.stdout.contains("alice (key_0123456789abcdef)"))

        let bad = try run(["audit", "list", "--limit", "0"], home: home)
        #expect(bad.status == 65, "\(bad)")
        #expect(try JSONParser().parse(bad.stdout)["details"]?["field"] == "limit")

        let fresh = root + "/fresh"
        let empty = try run(["audit", "verify"], home: fresh)
        #expect(empty.status == 0 && empty.stdout.contains("intact: 0 record(s)"), "\(empty)")
    }

    @Test func verifyFailsNamingTheLineOfAnEditedRecord() throws {
        let (root, home, log) = try homeWithRecords("cli-audit-edit", count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try tamper(log) { $0[2] = $0[2].replacingOccurrences(of: "\"completed\"", with: "\"cancelled\"") }
        let text = try run(["audit", "verify"], home: home)
        #expect(text.status == 1, "\(text)")
        #expect(text.stdout.contains("line 3, seq 3") && text.stdout.contains("edited"), "\(text)")
        let problem = try problem(home)
        #expect(problem["kind"] == "edited" && problem["line"] == .integer(3) && problem["seq"] == .integer(3))
    }

    @Test func verifyFailsNamingTheLineWhereARecordWasDeleted() throws {
        let (root, home, log) = try homeWithRecords("cli-audit-delete", count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try tamper(log) { $0.remove(at: 3) }
        let problem = try problem(home)
        #expect(problem["kind"] == "deleted" && problem["line"] == .integer(4), "\(problem)")
        #expect(problem["seq"] == .integer(5) && problem["expectedSeq"] == .integer(4))

        try tamper(log) { $0.removeLast() }  // and the last one: the head still names seq 6
        #expect(try self.problem(home)["kind"] == "deleted")
        try tamper(log) { $0 = Array($0.prefix(3)) }
        let truncated = try self.problem(home)
        #expect(truncated["kind"] == "truncated" && truncated["line"] == .integer(4), "\(truncated)")
    }

    @Test func verifyFailsNamingTheLineWhereRecordsWereReordered() throws {
        let (root, home, log) = try homeWithRecords("cli-audit-reorder", count: 6)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try tamper(log) { $0.swapAt(1, 4) }
        let text = try run(["audit", "verify"], home: home)
        #expect(text.status == 1 && text.stdout.contains("line 2, seq 5 (expected seq 2): reordered"), "\(text)")
        let problem = try problem(home)
        #expect(problem["kind"] == "reordered" && problem["line"] == .integer(2), "\(problem)")
    }
}
