import ArgumentParser
import Audit
import JSON
import Service
import ToolRuntime

/// `omega-exec audit verify|list`: the home's append-only, hash-chained audit log
/// (`<OMEGA_HOME>/audit/audit.jsonl`, each record signed with a key kept in the vault).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and list the audit log.",
        discussion: """
            Every tool call, credential use and API-key event is one JSON line of <OMEGA_HOME>/audit/audit.jsonl, \
            chained to the one before by an HMAC-SHA256 under a key kept in the vault; audit.head names the last \
            record, so records cut off the end are noticed too.
            """,
        subcommands: [Verify.self, List.self]
    )

    /// The audit service over `OMEGA_HOME`, or the error object printed and its exit code thrown.
    static func service() throws -> AuditService {
        try CLIRequestParsing.orExit { () throws(OmegaError) in try AuditService(home: OmegaHome()) }
    }

    struct Verify: ParsableCommand {
        /// The exit code when the log is not intact (as `omega-exec verify` for a package that fails).
        static let problemExitCode: Int32 = 1

        static let configuration = CommandConfiguration(
            abstract: "Check every record's hash, sequence and link, and the head.",
            discussion: """
                Prints the first problem: its line of audit.jsonl, its seq and its kind (edited, reordered, \
                deleted, truncated, forged, wrong_key, malformed, head_mismatch).

                Exit codes: 0 intact; 1 a problem was found; 74 the log cannot be read (INTERNAL_ERROR, on stdout).
                """)
        @Flag(help: "Print {\"intact\", \"recordsChecked\", \"lastSeq\", \"problem\"} as JSON.") var json = false

        func run() throws {
            let service = try AuditCommand.service()
            let report = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.verify() }
            if json {
                CLIOutput.out(report.json.prettyText + "\n")
            } else if let problem = report.problem {
                let seq = problem.seq.map { "seq \($0)" } ?? "no record"
                let expected = problem.expectedSeq.map { " (expected seq \($0))" } ?? ""
                CLIOutput.out(
                    """
                    audit log NOT intact: line \(problem.line), \(seq)\(expected): \(problem.kind.rawValue)
                    \(problem.message)
                    \(report.recordsChecked) record(s) verified before it.

                    """)
            } else {
                CLIOutput.out("audit log intact: \(report.recordsChecked) record(s), last seq \(report.lastSeq)\n")
            }
            if !report.isIntact { throw ExitCode(Self.problemExitCode) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the last records, oldest first (not verified: use `audit verify`).",
            discussion: "Exit codes: 0 listed; 65 bad --limit (INVALID_INPUT); 74 the log cannot be read.")
        @Option(help: "How many records, from the end: 1 to \(AuditLog.recentLimit).") var limit = 20
        @Flag(help: "Print a JSON array of records.") var json = false

        func run() throws {
            let service = try AuditCommand.service()
            let records = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.recent(limit: limit) }
            if json {
                CLIOutput.out(JSONValue.array(records.map(\.json)).prettyText + "\n")
                return
            }
            for record in records {
                let actor = record.actor.user + (record.actor.keyID.map { " (\($0))" } ?? "")
                CLIOutput.out(
                    "\(record.seq)  \(RunsCommand.time(record.timeMs))  \(record.kind)  \(actor)  \(JSONValue.object(record.fields).jsonText)\n"
                )
            }
        }
    }
}
