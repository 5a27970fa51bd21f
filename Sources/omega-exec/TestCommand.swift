import ArgumentParser
import Foundation
import JSON
import Schema
import ToolPackage
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

    struct CaseResult {
        var name: String
        var passed: Bool
        var message: String
        var runID: String
        var seconds: Double
    }

    func run() async throws {
        let values = try CLIRequestParsing.envOrExit(env)
        let executor = try ExecutorSession.open()
        let resolved: ResolvedTool
        do {
            resolved = try ToolResolver(home: executor.configuration.home).resolve(tool)
        } catch {
            throw CLIRequestParsing.exit(with: error)
        }
        let manifest = resolved.manifest
        // A harness may be given variables for several packages at once: pass each its own.
        let declared = Swift.Set(manifest.env.map(\.name))
        let env = values.filter { declared.contains($0.key) }
        var results: [CaseResult] = []

        let lintStart = Date()
        let report = Linter().lint(folder: resolved.directory, displayName: tool)
        let lintErrors = report.issues.filter { $0.severity == .error }
        for issue in report.issues { Terminal.write("lint: \(issue)\n") }
        results.append(
            CaseResult(
                name: "lint", passed: lintErrors.isEmpty,
                message: lintErrors.map(\.description).joined(separator: "\n"), runID: "",
                seconds: Date().timeIntervalSince(lintStart)))

        if lintErrors.isEmpty {
            let schema = manifest.output.flatMap { try? SchemaCache.shared.schema(for: $0) }
            for example in manifest.examples {
                let began = Date()
                let outcome = await ExecutorSession.withSignalsCancelling(executor) {
                    var request = ExecutionRequest(
                        tool: resolved.reference, input: example.input, env: env, approvedBy: "omega-exec test")
                    request.keepApproval = false
                    return await executor.start(request)
                }
                var problem: String?
                if let error = outcome.error {
                    problem = "\(error.code.rawValue): \(error.message)"
                } else if let output = outcome.output {
                    if let schema, !schema.isValid(output) {
                        problem = "the output does not match the output schema"
                    } else if example.outputMatch == .exact, let expected = example.output, expected != output {
                        problem =
                            "output differs from the example\n  expected: \(expected.jsonText)\n  got:      \(output.jsonText)"
                    }
                }
                let result = CaseResult(
                    name: example.name, passed: problem == nil, message: problem ?? "", runID: outcome.runID,
                    seconds: Date().timeIntervalSince(began))
                Terminal.write(
                    "\(result.passed ? "PASS" : "FAIL")  \(manifest.id) example \(example.name)  (\(String(format: "%.0f", result.seconds * 1000)) ms, run \(outcome.runID))\(problem.map { "\n      " + $0 } ?? "")\n"
                )
                results.append(result)
                if outcome.error?.code == .cancelled { break }  // Ctrl-C stops the whole test, not one example
            }
        }
        let failed = results.filter { !$0.passed }
        Terminal.write(
            "\(results.count - failed.count)/\(results.count) passed (lint + \(results.count - 1) example\(results.count == 2 ? "" : "s"))\n"
        )
        if let junit {
            do {
                try Self.junitXML(suite: manifest.id, results).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot write \(junit): \(error)"))
            }
        }
        if json {
            CLIOutput.out(
                JSONValue.object([
                    "tool": .string(manifest.id), "version": .string(manifest.version.description),
                    "passed": .bool(failed.isEmpty),
                    "cases": .array(
                        results.map {
                            [
                                "name": .string($0.name), "passed": .bool($0.passed), "message": .string($0.message),
                                "runId": .string($0.runID), "seconds": .number($0.seconds),
                            ]
                        }),
                ]).prettyText + "\n")
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    static func junitXML(suite: String, _ results: [CaseResult]) -> String {
        func escape(_ text: String) -> String {
            var out = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&apos;"
                default:
                    // XML 1.0 forbids most control characters.
                    if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" {
                        out += "?"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out
        }
        let failures = results.filter { !$0.passed }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml +=
            "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", total))\">\n"
        xml +=
            "  <testsuite name=\"\(escape(suite))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" time=\"\(String(format: "%.3f", total))\">\n"
        for result in results {
            xml +=
                "    <testcase classname=\"\(escape(suite))\" name=\"\(escape(result.name))\" time=\"\(String(format: "%.3f", result.seconds))\""
            if result.passed {
                xml += "/>\n"
            } else {
                xml +=
                    ">\n      <failure message=\"\(escape(String(result.message.prefix(200))))\">\(escape(result.message))</failure>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
