import Foundation
import JSON
import TestSupport
import Testing

@testable import Audit

/// The audit log: a chain of HMAC-signed records that verifies when untouched, and reports every kind
/// of tampering (edit, deletion, truncation, reordering, forgery, wrong key, head changes, debris) at
/// the right line, while appends from many threads and instances stay one linear chain.
@Suite struct AuditLogTests {
    static let keyBytes = [UInt8](repeating: 7, count: 32)
    static let otherKeyBytes = [UInt8](repeating: 9, count: 32)

    /// A log in a fresh folder (the caller removes `root`).
    func makeLog(_ label: String = "audit", key: [UInt8] = keyBytes) throws -> (log: AuditLog, root: String) {
        let root = Fixture.directory(label)
        return (try AuditLog(directory: root + "/audit", key: try AuditKey(bytes: key)), root)
    }

    /// Appends `count` tool-call records (`status` completed, `runId` run_<n>).
    func fill(_ log: AuditLog, count: Int) throws {
        for index in 1...count {
            try log.append(
                .toolCall, actor: AuditActor(user: "alice", keyID: "key_0123456789abcdef"),
                fields: ["runId": .string("run_\(index)"), "toolId": "acme.echo", "status": "completed"])
        }
    }

    /// The lines of the log file (without newlines; a last line without newline is kept as is).
    func lines(_ log: AuditLog) throws -> [String] {
        var lines = try String(contentsOfFile: log.logPath, encoding: .utf8).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Rewrites the log file with `lines`, each followed by a newline.
    func write(_ lines: [String], to log: AuditLog) throws {
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: log.logPath))
    }

    /// The problem `verify` reports; fails the test when the log is intact.
    func problem(_ log: AuditLog, sourceLocation: SourceLocation = #_sourceLocation) throws -> AuditProblem {
        let report = try log.verify()
        return try #require(report.problem, "expected a problem, the log verified", sourceLocation: sourceLocation)
    }

    // MARK: Intact logs

    @Test func aCleanChainOfAThousandRecordsVerifies() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try log.verify() == AuditReport(recordsChecked: 0, lastSeq: 0, problem: nil))
        try fill(log, count: 1_000)
        let report = try log.verify()
        #expect(report.isIntact, "\(report)")
        #expect(report.recordsChecked == 1_000 && report.lastSeq == 1_000)
        #expect(try lines(log).count == 1_000)

        let recent = try log.recent(limit: 3)
        #expect(recent.map(\.seq) == [998, 999, 1_000])
        #expect(recent.last?.fields["runId"] == "run_1000")
        #expect(try log.recent(limit: 5_000).count == AuditLog.recentLimit)
        #expect(try log.recent(limit: 0).isEmpty)

        let attributes = { (path: String) in
            (try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? Int
        }
        #expect(try attributes(log.directory) == 0o700)
        #expect(try attributes(log.logPath) == 0o600)
        #expect(try attributes(log.headPath) == 0o600)
    }

    @Test func recordsAreCanonicalLinesChainedFromSixtyFourZeros() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try log.append(.keyCreated, actor: AuditActor(user: "local"), fields: ["name": "ci bot"])
        let second = try log.append(.credentialAccess, actor: AuditActor(user: "local"), fields: ["names": ["API_KEY"]])
        #expect(first.seq == 1 && first.prev == String(repeating: "0", count: 64))
        #expect(second.seq == 2 && second.prev == first.hash && second.hash != first.hash)
        #expect(first.hash.count == 64 && first.hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(first.hash == (try AuditKey(bytes: Self.keyBytes)).authenticationCode(of: first.signedText))

        let fileLines = try lines(log)
        #expect(fileLines == [first.line, second.line])
        let json = try JSONParser().parse(fileLines[0])
        #expect(
            Set(json.objectValue?.keys.map { $0 } ?? []) == [
                "seq", "timeMs", "kind", "actor", "fields", "prev", "hash",
            ])
        #expect(json["kind"] == "key.created" && json["actor"] == ["user": "local"])
        #expect(json.canonicalText == fileLines[0])
        let head = try JSONParser().parse(try String(contentsOfFile: log.headPath, encoding: .utf8))
        #expect(head["seq"] == .integer(2) && head["hash"]?.stringValue == second.hash)
    }

    // MARK: Tampering, each detected at its line

    @Test func editingOneFieldOfOneRecordIsReportedAsEditedAtItsLine() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        var edited = try lines(log)
        edited[3] = edited[3].replacingOccurrences(of: "\"completed\"", with: "\"failed\"")
        try write(edited, to: log)
        let problem = try problem(log)
        #expect(problem.kind == .edited && problem.line == 4 && problem.seq == 4, "\(problem)")
        #expect(try log.verify().recordsChecked == 3)

        // The same edit on the last line: the head still names its hash.
        let (other, otherRoot) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: otherRoot) }
        try fill(other, count: 3)
        var last = try lines(other)
        last[2] = last[2].replacingOccurrences(of: "alice", with: "mallory")
        try write(last, to: other)
        let lastProblem = try self.problem(other)
        #expect(lastProblem.kind == .edited && lastProblem.line == 3 && lastProblem.seq == 3, "\(lastProblem)")
    }

    @Test func rewritingALineInAnotherJSONFormIsReportedAsEdited() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 5)
        var rewritten = try lines(log)
        rewritten[1] = try JSONParser().parse(rewritten[1]).jsonText.replacingOccurrences(of: ",", with: ", ")
        try write(rewritten, to: log)
        let problem = try problem(log)
        #expect(problem.kind == .edited && problem.line == 2, "\(problem)")
    }

    @Test func deletingAMiddleRecordIsReportedAsDeletedAtItsLine() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        var remaining = try lines(log)
        remaining.remove(at: 4)
        try write(remaining, to: log)
        let problem = try problem(log)
        #expect(problem.kind == .deleted && problem.line == 5, "\(problem)")
        #expect(problem.seq == 6 && problem.expectedSeq == 5)

        remaining.removeSubrange(4..<6)  // seq 6 and 7 too
        try write(remaining, to: log)
        let wider = try self.problem(log)
        #expect(wider.kind == .deleted && wider.line == 5 && wider.seq == 8 && wider.expectedSeq == 5, "\(wider)")
        #expect(wider.message.contains("3 records"))
    }

    @Test func deletingTheLastRecordIsReportedAsTruncated() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        try write(Array(try lines(log).dropLast()), to: log)
        let problem = try problem(log)
        #expect(problem.kind == .truncated && problem.line == 10 && problem.expectedSeq == 10, "\(problem)")
        #expect(problem.seq == nil)
        #expect(try log.verify().recordsChecked == 9)

        try write([], to: log)
        let emptied = try self.problem(log)
        #expect(emptied.kind == .truncated && emptied.line == 1 && emptied.expectedSeq == 1, "\(emptied)")
        try FileManager.default.removeItem(atPath: log.logPath)
        #expect(try self.problem(log).kind == .truncated)
    }

    @Test func swappingTwoRecordsIsReportedAsReordered() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        var swapped = try lines(log)
        swapped.swapAt(2, 3)
        try write(swapped, to: log)
        let problem = try problem(log)
        #expect(problem.kind == .reordered && problem.line == 3, "\(problem)")
        #expect(problem.seq == 4 && problem.expectedSeq == 3)

        var repeated = try lines(log)
        repeated.swapAt(2, 3)
        repeated.insert(repeated[6], at: 7)  // seq 7 twice
        try write(repeated, to: log)
        let copy = try self.problem(log)
        #expect(copy.kind == .reordered && copy.line == 8 && copy.seq == 7 && copy.expectedSeq == 8, "\(copy)")
    }

    @Test func aRecordForgedWithAnotherKeyIsReportedAsForged() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        let original = try lines(log)
        let fifth = try AuditRecord(json: try JSONParser().parse(original[4]))
        let otherKey = try AuditKey(bytes: Self.otherKeyBytes)
        var forged = AuditRecord(
            seq: 6, timeMs: fifth.timeMs, kind: .keyCreated, actor: AuditActor(user: "mallory"), fields: [:],
            prev: fifth.hash, hash: "")
        forged.hash = otherKey.authenticationCode(of: forged.signedText)
        var inserted = original
        inserted.insert(forged.line, at: 5)
        try write(inserted, to: log)
        let problem = try problem(log)
        #expect(problem.kind == .forged && problem.line == 6 && problem.seq == 6, "\(problem)")

        let tenth = try AuditRecord(json: try JSONParser().parse(original[9]))
        var appended = AuditRecord(
            seq: 11, timeMs: tenth.timeMs, kind: .keyRevoked, actor: AuditActor(user: "mallory"), fields: [:],
            prev: tenth.hash, hash: "")
        appended.hash = otherKey.authenticationCode(of: appended.signedText)
        try write(original + [appended.line], to: log)
        let atEnd = try self.problem(log)
        #expect(atEnd.kind == .forged && atEnd.line == 11 && atEnd.seq == 11, "\(atEnd)")
    }

    @Test func verifyingWithAnotherKeyIsReportedAsWrongKey() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 5)
        let stranger = try AuditLog(directory: log.directory, key: try AuditKey(bytes: Self.otherKeyBytes))
        let problem = try problem(stranger)
        #expect(problem.kind == .wrongKey && problem.line == 1, "\(problem)")
        #expect(throws: AuditError.self) { try stranger.append(.toolCall, actor: AuditActor(user: "x")) }
        #expect(try lines(log).count == 5)
    }

    @Test func alteringTheHeadIsReportedAsHeadMismatch() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 8)
        let olderHead = try Data(contentsOf: URL(fileURLWithPath: log.headPath))
        try fill(log, count: 2)
        let genuine = try String(contentsOfFile: log.headPath, encoding: .utf8)

        let altered = genuine.replacingOccurrences(of: "\"seq\":10", with: "\"seq\":12")
        #expect(altered != genuine)
        try altered.write(toFile: log.headPath, atomically: false, encoding: .utf8)
        let problem = try problem(log)
        #expect(problem.kind == .headMismatch && problem.line == 10 && problem.seq == 10, "\(problem)")

        try "not a head\n".write(toFile: log.headPath, atomically: false, encoding: .utf8)
        #expect(try self.problem(log).kind == .headMismatch)

        try olderHead.write(to: URL(fileURLWithPath: log.headPath))  // genuine, but two records behind
        let older = try self.problem(log)
        #expect(older.kind == .headMismatch && older.line == 10, "\(older)")

        try FileManager.default.removeItem(atPath: log.headPath)
        let missing = try self.problem(log)
        #expect(missing.kind == .headMismatch && missing.message.contains("missing"), "\(missing)")

        try genuine.write(toFile: log.headPath, atomically: false, encoding: .utf8)
        #expect(try log.verify().isIntact)
    }

    @Test func aPartialLastLineIsReportedAsMalformedAndTheNextAppendCutsIt() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 10)
        let original = try lines(log)
        let handle = try #require(FileHandle(forWritingAtPath: log.logPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(original[9].prefix(40).utf8))
        try handle.close()
        let problem = try problem(log)
        #expect(problem.kind == .malformed && problem.line == 11 && problem.expectedSeq == 11, "\(problem)")
        #expect(problem.message.contains("no newline"))

        let next = try log.append(.toolCall, actor: AuditActor(user: "alice"))
        #expect(next.seq == 11)
        #expect(try log.verify() == AuditReport(recordsChecked: 11, lastSeq: 11, problem: nil))
        #expect(try lines(log).prefix(10).elementsEqual(original))
    }

    @Test func linesThatAreNotRecordsAreReportedAsMalformed() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 6)
        let original = try lines(log)
        for (replacement, seq) in [("not json", nil), ("{\"seq\":3}", 3 as Int64?), ("", nil)] {
            var broken = original
            broken[2] = replacement
            try write(broken, to: log)
            let problem = try problem(log)
            #expect(problem.kind == .malformed && problem.line == 3 && problem.seq == seq, "\(problem)")
        }
        var long = original
        long[2] = String(repeating: "x", count: AuditLog.maximumLineBytes + 10)
        try write(long, to: log)
        let overlong = try problem(log)
        #expect(overlong.kind == .malformed && overlong.line == 3 && overlong.message.contains("limit"), "\(overlong)")
    }

    @Test func aHeadOneRecordBehindIsAnInterruptedAppendAndIsAccepted() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 5)
        let headAtFive = try Data(contentsOf: URL(fileURLWithPath: log.headPath))
        try fill(log, count: 1)
        try headAtFive.write(to: URL(fileURLWithPath: log.headPath))  // the record of seq 6 is written, its head not
        #expect(try log.verify() == AuditReport(recordsChecked: 6, lastSeq: 6, problem: nil))
        #expect(try log.append(.toolCall, actor: AuditActor(user: "alice")).seq == 7)
        #expect(try log.verify() == AuditReport(recordsChecked: 7, lastSeq: 7, problem: nil))
    }

    // MARK: Appends refuse what they cannot vouch for

    @Test func appendsToATamperedLogAreRefusedAndWriteNothing() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try fill(log, count: 5)
        let original = try lines(log)
        let head = try String(contentsOfFile: log.headPath, encoding: .utf8)
        let tamperings: [(String, () throws -> Void)] = [
            ("last record deleted", { try write(Array(original.dropLast()), to: log) }),
            ("head removed", { try FileManager.default.removeItem(atPath: log.headPath) }),
            (
                "last line edited",
                {
                    try write(
                        Array(original.dropLast()) + [original[4].replacingOccurrences(of: "alice", with: "eve")],
                        to: log)
                }
            ),
        ]
        for (label, tamper) in tamperings {
            try write(original, to: log)
            try head.write(toFile: log.headPath, atomically: false, encoding: .utf8)
            try tamper()
            let before = try Data(contentsOf: URL(fileURLWithPath: log.logPath))
            let error = #expect(throws: AuditError.self, "\(label)") {
                try log.append(.toolCall, actor: AuditActor(user: "alice"))
            }
            #expect(error?.code == .chainBroken, "\(label)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: log.logPath)) == before, "\(label)")
        }
    }

    @Test func forbiddenFieldNamesAreRefusedAtAnyDepth() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cases: [([String: JSONValue], String)] = [
            (["secret": "x"], "fields.secret"),
            (["Value": "x"], "fields.Value"),
            (["request": ["headers": ["Authorization": "Bearer omx_…"]]], "fields.request.headers.Authorization"),
            (["attempts": [["password": "hunter2"]]], "fields.attempts[0].password"),
            (["TOKEN": 1], "fields.TOKEN"),
        ]
        for (fields, path) in cases {
            let error = #expect(throws: AuditError.self) {
                try log.append(.credentialStore, actor: AuditActor(user: "alice"), fields: fields)
            }
            #expect(error?.code == .invalidInput && error?.field == path, "\(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: log.logPath))
        let empty = #expect(throws: AuditError.self) { try log.append(.toolCall, actor: AuditActor(user: "")) }
        #expect(empty?.field == "actor.user")
        // Names of credentials are what the log is for.
        try log.append(.credentialAccess, actor: AuditActor(user: "alice"), fields: ["names": ["API_TOKEN"]])
        #expect(try log.verify().isIntact)
    }

    @Test func aRecordOverTheLineLimitIsRefused() throws {
        let (log, root) = try makeLog()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let error = #expect(throws: AuditError.self) {
            try log.append(
                .toolCall, actor: AuditActor(user: "alice"),
                fields: ["note": .string(String(repeating: "n", count: AuditLog.maximumLineBytes))])
        }
        #expect(error?.code == .invalidInput && error?.field == "record")
        #expect(!FileManager.default.fileExists(atPath: log.logPath))
        let large = try log.append(
            .toolCall, actor: AuditActor(user: "alice"),
            fields: ["note": .string(String(repeating: "n", count: 60_000))])
        #expect(large.line.utf8.count < AuditLog.maximumLineBytes)
        #expect(try log.verify().isIntact)
    }

    @Test func keysAndKindsAreChecked() throws {
        for count in [0, 16, 31, 33, 64] {
            let error = #expect(throws: AuditError.self) { try AuditKey(bytes: [UInt8](repeating: 1, count: count)) }
            #expect(error?.field == "key")
        }
        #expect(
            AuditKind.known.map(\.rawValue) == [
                "tool.call", "credential.access", "credential.store", "key.use", "key.refused", "rate.limited",
                "key.created", "key.revoked",
            ])
        #expect(AuditKind(rawValue: "run.resumed") != nil && AuditKind(rawValue: "a.b_2.c") != nil)
        for bad in [
            "", "Tool.call", "tool..call", ".tool", "tool.", "2fa.used", "tool call", String(repeating: "a", count: 65),
        ] {
            #expect(AuditKind(rawValue: bad) == nil, "\(bad)")
        }
    }

    // MARK: Concurrency

    @Test func concurrentAppendsFromEightThreadsAndTwoInstancesStayOneLinearChain() throws {
        let (first, root) = try makeLog("audit-concurrent")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let second = try AuditLog(directory: first.directory, key: try AuditKey(bytes: Self.keyBytes))
        let threads = 8
        let perThread = 50
        let group = DispatchGroup()
        let failures = Failures()
        for thread in 0..<threads {
            group.enter()
            let log = thread.isMultiple(of: 2) ? first : second
            Thread {
                defer { group.leave() }
                for index in 0..<perThread {
                    do {
                        try log.append(
                            .keyUse, actor: AuditActor(user: "t\(thread)"),
                            fields: ["thread": .integer(Int64(thread)), "index": .integer(Int64(index))])
                    } catch {
                        failures.add("\(error)")
                    }
                }
            }.start()
        }
        group.wait()
        #expect(failures.all.isEmpty, "\(failures.all)")
        let report = try first.verify()
        #expect(
            report
                == AuditReport(recordsChecked: threads * perThread, lastSeq: Int64(threads * perThread), problem: nil))
        let records = try lines(first).map { try AuditRecord(json: try JSONParser().parse($0)) }
        #expect(records.map(\.seq) == Array(1...Int64(threads * perThread)))
        for thread in 0..<threads {
            let indexes = records.filter { $0.actor.user == "t\(thread)" }.compactMap {
                $0.fields["index"]?.doubleValue
            }
            #expect(indexes == (0..<perThread).map(Double.init), "thread \(thread)")
        }
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}
