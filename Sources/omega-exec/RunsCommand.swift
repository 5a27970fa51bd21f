import ArgumentParser
import Foundation
import JSON
import RunStorage
import Schema
import ToolRuntime

/// `omega-exec runs list|show|events|replay|resume|cancel`.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Inspect, follow, resume, replay and cancel recorded runs.",
        subcommands: [List.self, Show.self, Events.self, Resume.self, Replay.self, Cancel.self]
    )

    /// Reads a run or exits with INVALID_STATE.
    static func load(_ executor: ToolRunner, _ id: String) throws -> RunRecord {
        do {
            guard let record = try executor.store.run(id: id) else {
                throw CLIRequestParsing.exit(with: OmegaError(.invalidState, "no run \(id)"))
            }
            return record
        } catch let error as ExitCode {
            throw error
        } catch {
            throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot read run \(id): \(error)"))
        }
    }

    static func json(_ record: RunRecord) -> JSONValue {
        [
            "id": .string(record.id), "toolId": .string(record.toolID), "toolVersion": .string(record.toolVersion),
            "status": .string(record.status.rawValue), "step": record.step.map { .string($0) } ?? .null,
            "createdAt": .integer(record.createdAtMs), "updatedAt": .integer(record.updatedAtMs),
            "toolReference": .string(record.toolReference), "packageDigest": .string(record.packageDigest),
            "inputDigest": .string(record.inputDigest), "input": record.input, "result": record.result ?? .null,
            "replayOf": record.replayOf.map { .string($0) } ?? .null,
        ]
    }

    static func json(_ event: RunEvent) -> JSONValue {
        [
            "runId": .string(event.runID), "sequence": .integer(event.sequence), "type": .string(event.type.rawValue),
            "timestamp": .integer(event.timestampMs), "data": event.data,
        ]
    }

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
            let executor = try ExecutorSession.open()
            let records: [RunRecord]
            do {
                records = try executor.store.runs(status: status.flatMap(RunStatus.init), limit: limit)
            } catch {
                throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot list runs: \(error)"))
            }
            if json {
                CLIOutput.out(JSONValue.array(records.map(RunsCommand.json)).prettyText + "\n")
                return
            }
            for record in records {
                CLIOutput.out(
                    "\(record.id)  \(RunsCommand.time(record.createdAtMs))  \(record.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(record.toolID)@\(record.toolVersion)\(record.step.map { " [\($0)]" } ?? "")\n"
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
            let executor = try ExecutorSession.open()
            let record = try RunsCommand.load(executor, id)
            let events = (try? executor.store.events(runID: id, after: 0)) ?? []
            let toolRuns = (try? executor.store.toolRuns(runID: id)) ?? []
            if json {
                guard case .object(var members) = RunsCommand.json(record) else { return }
                members["events"] = .array(events.map(RunsCommand.json))
                members["toolRuns"] = .array(
                    toolRuns.map {
                        [
                            "attempt": .integer($0.attempt), "status": .string($0.status),
                            "exitCode": $0.exitCode.map { .integer(Int64($0)) } ?? .null,
                            "signal": $0.signal.map { .integer(Int64($0)) } ?? .null, "wallMs": .number($0.wallMs),
                            "cpuMs": .number($0.cpuMs), "maxRssKb": .integer($0.maxRssKb),
                        ]
                    })
                CLIOutput.out(JSONValue.object(members).prettyText + "\n")
                return
            }
            CLIOutput.out(
                """
                run      \(record.id)
                tool     \(record.toolID)@\(record.toolVersion) (\(record.toolReference))
                status   \(record.status.rawValue)\(record.step.map { " at \($0)" } ?? "")
                created  \(RunsCommand.time(record.createdAtMs))
                input    sha256:\(record.inputDigest)

                """)
            for event in events { CLIOutput.out(Events.line(event) + "\n") }
            if let result = record.result { CLIOutput.out("\nresult\n" + result.prettyText + "\n") }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a run's events; --follow waits for new ones until it ends.")
        @Argument(help: "The run id.") var id: String
        @Flag(help: "Keep printing events until the run ends.") var follow = false
        @Flag(help: "One JSON object per line.") var json = false
        @Option(help: "Only events after this sequence number.") var after: Int64 = 0

        static func line(_ event: RunEvent) -> String {
            "\(String(event.sequence).padding(toLength: 4, withPad: " ", startingAt: 0)) \(RunsCommand.time(event.timestampMs))  \(event.type.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(event.data.jsonText)"
        }

        func run() async throws {
            let executor = try ExecutorSession.open()
            _ = try RunsCommand.load(executor, id)
            var last = after
            while true {
                let events: [RunEvent]
                do {
                    events = try executor.store.events(runID: id, after: last)
                } catch {
                    throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot read events: \(error)"))
                }
                for event in events {
                    CLIOutput.out((json ? RunsCommand.json(event).jsonText : Events.line(event)) + "\n")
                    last = event.sequence
                }
                guard follow else { return }
                let status = (try? executor.store.run(id: id))?.status
                if let status, status.isFinal || status == .paused,
                    (try? executor.store.events(runID: id, after: last))?.isEmpty ?? true
                {
                    return
                }
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a paused run from the step that paused it.",
            discussion: "Exit codes as for `omega-exec try`.")
        @Argument(help: "The run id.") var id: String
        @Option(help: "A value for a declared environment variable, NAME=VALUE (repeatable; never stored).")
        var env: [String] = []
        @Flag(help: "Approve the call the run waits for.") var approve = false
        @Flag(help: "Print the whole result object as JSON.") var json = false
        @Option(help: "The user for vault lookups (default: the run's).") var user: String?

        func run() async throws {
            let values = try CLIRequestParsing.envOrExit(env)
            let executor = try ExecutorSession.open()
            let outcome = await ExecutorSession.withSignalsCancelling(executor) {
                await executor.resume(
                    runID: id, env: values, approvedBy: approve ? CLIRequestParsing.approver : nil, user: user,
                    observer: json ? nil : RunProgress(live: false).observer)
            }
            throw TryCommand.report(outcome, json: json)
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a recorded run again: same package (digest), version and input, as a new run.")
        @Argument(help: "The run id.") var id: String
        @Option(help: "A value for a declared environment variable, NAME=VALUE (repeatable).") var env: [String] = []
        @Flag(help: "Approve the replay if it needs an approval.") var approve = false
        @Flag(help: "Print the whole result object as JSON.") var json = false

        func run() async throws {
            let values = try CLIRequestParsing.envOrExit(env)
            let executor = try ExecutorSession.open()
            let outcome = await ExecutorSession.withSignalsCancelling(executor) {
                await executor.replay(
                    runID: id, env: values, approvedBy: approve ? CLIRequestParsing.approver : nil,
                    observer: json ? nil : RunProgress(live: false).observer)
            }
            throw TryCommand.report(outcome, json: json)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a run: a paused run ends now; a running one is stopped by the process driving it.")
        @Argument(help: "The run id.") var id: String

        func run() async throws {
            let executor = try ExecutorSession.open()
            do {
                let cancelled = try executor.cancel(runID: id)
                CLIOutput.out(cancelled ? "cancellation of \(id) requested\n" : "\(id) had already ended\n")
                if !cancelled { throw ExitCode(ExitCodes.code(for: .invalidState)) }
            } catch let error as OmegaError {
                throw CLIRequestParsing.exit(with: error)
            }
        }
    }
}
