import ArgumentParser
import Foundation
import JSON
import Service
import ToolRuntime

/// `omega-exec test TOOL [--junit FILE]`: the CI contract test of a tool package.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Lint a package, then run every example of its manifest in the jail and check the outputs.",
        discussion: """
            Each example runs through the whole pipeline (input validation, policy, credentials, jail, \
            output validation) as its own recorded run; calls that need an approval are approved as \
            `omega-exec test`. An example passes when the run completes and its output equals the \
            example's output (outputMatch "exact", the default when an output is given) or only \
            satisfies the output schema ("schema"). Declared environment variables come from --env (values for \
            variables the package does not declare are ignored) or the vault. Exit codes: 0 every example passed; 1 lint errors or a failed example; others as \
            for `omega-exec try` when the package cannot be resolved.
            """
    )

    @Argument(help: "The tool: a package folder, a .tar.gz, or an installed id[@version].") var tool: String
    @Option(help: "Write a JUnit XML report to this file.") var junit: String?
    @Option(help: "A value for a declared environment variable, NAME=VALUE (repeatable).") var env: [String] = []
    @Flag(help: "Print a JSON report on stdout.") var json = false

    func run() async throws {
        let values = try CLIRequestParsing.envOrExit(env)
        let service = try ServiceSession.open()
        let outcome = await ServiceSession.withSignalsCancelling(service) {
            () async -> Result<ContractTestReport, OmegaError> in
            do throws(OmegaError) {
                return .success(try await service.contractTest(tool, env: values) { Self.show($0) })
            } catch {
                return .failure(error)
            }
        }
        let report: ContractTestReport
        switch outcome {
        case .success(let value): report = value
        case .failure(let error): throw CLIRequestParsing.exit(with: error)
        }
        let failed = report.cases.filter { !$0.passed }.count
        let count = report.cases.count
        Terminal.write(
            "\(count - failed)/\(count) passed (lint + \(count - 1) example\(count == 2 ? "" : "s"))\n")
        if let junit {
            do {
                try JUnitReport.xml(report).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot write \(junit): \(error)"))
            }
        }
        if json { CLIOutput.out(report.json.prettyText + "\n") }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Shows the newest case on stderr as the test goes (lint findings first).
    static func show(_ report: ContractTestReport) {
        guard let result = report.cases.last else { return }
        if result.name == "lint" {
            for issue in report.lintIssues { Terminal.write("lint: \(issue)\n") }
            return
        }
        let ms = String(format: "%.0f", result.seconds * 1000)
        let detail = result.passed ? "" : "\n      " + result.message
        Terminal.write(
            "\(result.passed ? "PASS" : "FAIL")  \(report.toolID) example \(result.name)  (\(ms) ms, run \(result.runID))\(detail)\n"
        )
    }
}
