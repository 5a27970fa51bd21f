import ArgumentParser
import Service
import ToolRuntime

/// `runs resume`, `runs replay` and `runs cancel`.
extension RunsCommand {
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
            let service = try ServiceSession.open()
            let outcome = await ServiceSession.withSignalsCancelling(service) {
                await service.resume(
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
            let service = try ServiceSession.open()
            let outcome = await ServiceSession.withSignalsCancelling(service) {
                await service.replay(
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
            let service = try ServiceSession.open()
            let cancelled = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.cancel(runID: id) }
            CLIOutput.out(cancelled ? "cancellation of \(id) requested\n" : "\(id) had already ended\n")
            if !cancelled { throw ExitCode(OmegaError.Code.invalidState.exitCode) }
        }
    }
}
