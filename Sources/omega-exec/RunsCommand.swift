import ArgumentParser
import Foundation
import JSON
import RunStorage
import Service
import ToolRuntime

/// `omega-exec runs list|show|events|replay|resume|cancel`.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Inspect, follow, resume, replay and cancel recorded runs.",
        subcommands: [List.self, Show.self, RunEventsCommand.self, Resume.self, Replay.self, Cancel.self]
    )

    /// `ms` since the epoch as ISO 8601 with milliseconds.
    static func time(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @Option(
            help: "Only runs with this status (created, running, paused, completed, failed, cancelled, interrupted).")
        var status: String?
        @Option(help: "At most this many runs.") var limit = 50
        @Flag(help: "Print a JSON array.") var json = false

        func validate() throws {
            if let status, RunStatus(rawValue: status) == nil {
                throw ValidationError(
                    "--status: expected one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard limit > 0 else { throw ValidationError("--limit: expected a positive number") }
        }

        func run() async throws {
            let service = try ServiceSession.open()
            let records = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try service.runs(status: status.flatMap(RunStatus.init), limit: limit)
            }
            if json {
                CLIOutput.out(JSONValue.array(records.map(\.json)).prettyText + "\n")
                return
            }
            for record in records {
                let status = record.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                CLIOutput.out(
                    "\(record.id)  \(RunsCommand.time(record.createdAtMs))  \(status) \(record.toolID)@\(record.toolVersion)\(record.step.map { " [\($0)]" } ?? "")\n"
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one run: its record, timeline and tool executions.")
        @Argument(help: "The run id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let service = try ServiceSession.open()
            let detail = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.run(id: id) }
            if json {
                CLIOutput.out(detail.json.prettyText + "\n")
                return
            }
            let record = detail.record
            CLIOutput.out(
                """
                run      \(record.id)
                tool     \(record.toolID)@\(record.toolVersion) (\(record.toolReference))
                status   \(record.status.rawValue)\(record.step.map { " at \($0)" } ?? "")
                created  \(RunsCommand.time(record.createdAtMs))
                input    sha256:\(record.inputDigest)

                """)
            for event in detail.events { CLIOutput.out(RunEventsCommand.line(event) + "\n") }
            if let result = record.result { CLIOutput.out("\nresult\n" + result.prettyText + "\n") }
        }
    }
}
