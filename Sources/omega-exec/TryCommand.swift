import ArgumentParser
import Credentials
import Foundation
import Policy
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
        let executor = try ExecutorSession.open()
        let interactive = !noInput && Terminal.isInteractive
        let progress = RunProgress(live: interactive && Terminal.stderrIsTerminal)
        let observer: ToolRunner.EventObserver? = json && !interactive ? nil : progress.observer
        var outcome = await ExecutorSession.withSignalsCancelling(executor) {
            await executor.start(request, observer: observer)
        }
        while interactive, outcome.status == .paused, let error = outcome.error {
            guard
                let next = await Self.answer(
                    error, outcome: outcome, executor: executor, env: request.env, user: user, observer: observer)
            else { break }
            outcome = next
        }
        progress.finish()
        throw Self.report(outcome, json: json)
    }

    /// Asks the human what the pause needs, then resumes; nil when they decline.
    static func answer(
        _ error: OmegaError, outcome: ExecutionOutcome, executor: ToolRunner, env: [String: String], user: String?,
        observer: ToolRunner.EventObserver?
    ) async -> ExecutionOutcome? {
        switch error.code {
        case .approvalRequired:
            let details = error.details
            Terminal.write(
                """

                Approval needed for \(details["toolId"]?.stringValue ?? outcome.toolID)@\(details["toolVersion"]?.stringValue ?? outcome.toolVersion)
                  reason:       \(details["reason"]?.stringValue ?? "")
                  scopes:       \(details["scopes"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "")
                  risk:         \(details["risk"]?.stringValue ?? "")\(details["externalWrite"]?.boolValue == true ? " (writes outside the jail)" : "")
                  input digest: sha256:\(details["inputDigest"]?.stringValue ?? "")
                  package:      sha256:\(details["packageDigest"]?.stringValue ?? "")

                """)
            guard Terminal.confirm("Approve this exact call?") else { return nil }
            return await ExecutorSession.withSignalsCancelling(executor) {
                await executor.resume(
                    runID: outcome.runID, env: env, approvedBy: CLIRequestParsing.approver, observer: observer)
            }
        case .missingEnvVars:
            var values: [String: String] = env
            Terminal.write("\nThe tool needs credentials (input is hidden):\n")
            for variable in error.details["missingVars"]?.arrayValue ?? [] {
                guard let name = variable["name"]?.stringValue else { continue }
                let description = variable["description"]?.stringValue ?? ""
                guard let value = Terminal.readLine(prompt: "  \(name) (\(description)): ", hidden: true),
                    !value.isEmpty
                else { return nil }
                values[name] = value
            }
            let prompted = values.filter { env[$0.key] == nil }
            if Terminal.confirm("Save \(prompted.count == 1 ? "it" : "them") in the vault for \(outcome.toolID)?") {
                do {
                    let vault = try CredentialVault(directory: executor.configuration.home.vaultDirectory)
                    for (name, value) in prompted { try vault.set(name, value: value, scope: .tool(outcome.toolID)) }
                    Terminal.write("  saved (scope tool:\(outcome.toolID))\n")
                } catch {
                    Terminal.write("  could not save: \(error)\n")
                }
            }
            return await ExecutorSession.withSignalsCancelling(executor) {
                await executor.resume(runID: outcome.runID, env: values, user: user, observer: observer)
            }
        default:
            return nil
        }
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
        return ExitCode(ExitCodes.code(for: outcome.error?.code))
    }
}
