import ArgumentParser
import Foundation
import Service
import ToolRuntime

/// `omega-exec try TOOL [--input JSON|@FILE] [--env K=V] [--approve] [--json]`.
struct TryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try",
        abstract: "Run a tool package through the whole pipeline (validation, policy, credentials, jail).",
        discussion: """
            TOOL is a package folder, a package .tar.gz, or an installed id[@version]. On a terminal the \
            steps are shown as they happen; a missing credential is asked for with hidden input (and can \
            be saved in the vault) and an approval is asked for, then the same run resumes. Without a \
            terminal (or with --no-input) nothing is asked: the error object is printed on stdout and the \
            run stays paused; resume it with `omega-exec runs resume ID`.

            The output document goes to stdout (with --json: the whole result object). Exit codes: 0 \
            completed; 65 INVALID_INPUT; 66 TOOL_NOT_FOUND; 67 MISSING_ENV_VARS; 68 APPROVAL_REQUIRED; \
            69 TOOL_UNAVAILABLE; 70 SANDBOX_FAILURE; 71 INVALID_OUTPUT; 72 TOOL_FAILED; 73 \
            INVALID_MANIFEST; 74 INTERNAL_ERROR; 75 RATE_LIMITED; 76 INVALID_STATE; 77 POLICY_DENIED; \
            124 TIMEOUT; 130 CANCELLED; 64 bad usage.
            """
    )

    @Argument(help: "The tool: a package folder, a .tar.gz, or an installed id[@version].") var tool: String
    @Option(help: "The input: JSON text, @FILE, or @- for stdin (default {}).") var input: String?
    @Option(help: "A value for a declared environment variable, NAME=VALUE (repeatable; never stored).")
    var env: [String] = []
    @Flag(help: "Approve this exact call if it needs an approval.") var approve = false
    @Flag(help: "Print the whole result object as JSON on stdout.") var json = false
    @Flag(name: .customLong("no-input"), help: "Never prompt, even on a terminal.") var noInput = false
    @Option(help: "The user the call is made for (vault scope user:NAME).") var user: String?

    func run() async throws {
        let request: ExecutionRequest
        do {
            request = ExecutionRequest(
                tool: tool, input: try CLIRequestParsing.input(input), env: try CLIRequestParsing.env(env), user: user,
                approvedBy: approve ? CLIRequestParsing.approver : nil)
        } catch {
            throw CLIRequestParsing.exit(with: error)
        }
        let service = try ServiceSession.open()
        let interactive = !noInput && Terminal.isInteractive
        let progress = RunProgress(live: interactive && Terminal.stderrIsTerminal)
        let observer: OmegaService.EventObserver? = json && !interactive ? nil : progress.observer
        var outcome = await ServiceSession.withSignalsCancelling(service) {
            await service.run(request, observer: observer)
        }
        while interactive, outcome.status == .paused, let answer = PausePrompt.ask(outcome) {
            let toolID = outcome.toolID
            let runID = outcome.runID
            outcome = await ServiceSession.withSignalsCancelling(service) {
                await service.answer(runID: runID, with: answer, env: request.env, user: user, observer: observer) {
                    Terminal.write($0.map { "  could not save: \($0.message)\n" } ?? "  saved (scope tool:\(toolID))\n")
                }
            }
        }
        progress.finish()
        throw Self.report(outcome, json: json)
    }

    /// Prints the outcome (the output, or the whole object with `json`, or the error object) and
    /// returns the exit code to throw.
    static func report(_ outcome: ExecutionOutcome, json: Bool) -> ExitCode {
        if json || !outcome.succeeded {
            CLIOutput.out(outcome.json.prettyText + "\n")
        } else {
            CLIOutput.out((outcome.output ?? .null).prettyText + "\n")
        }
        if outcome.status == .paused {
            Terminal.write(
                "run \(outcome.runID) is paused; resume it with: omega-exec runs resume \(outcome.runID) [--env NAME=VALUE] [--approve]\n"
            )
        }
        return ExitCode(outcome.exitCode)
    }
}
