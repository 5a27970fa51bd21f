import Foundation
import JSON
import Schema
import ToolPackage
import ToolRuntime

/// The contract test of a tool package (`omega-exec test`, CI): lint, then run every example of its
/// manifest through the whole pipeline as its own recorded run and compare the outputs.
///
/// An example passes when its run completes and its output equals the example's (`outputMatch`
/// `exact`, the default when an output is given) or only satisfies the output schema (`schema`).
/// Approvals the examples need are granted as `omega-exec test` for that run only (a harness is
/// not a human deciding); each package gets only the variables it declares.
public struct ContractTestReport: Sendable {
    /// One case: `lint`, then one per example.
    public struct Case: Sendable {
        /// `lint` or the example's name.
        public var name: String
        /// Whether it passed.
        public var passed: Bool
        /// Why it failed (empty when it passed).
        public var message: String
        /// The example's run (empty for lint).
        public var runID: String
        /// How long it took.
        public var seconds: Double
    }

    /// The tool's id.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// Lint findings, errors and warnings, as text.
    public var lintIssues: [String]
    /// The cases, lint first.
    public var cases: [Case]

    /// Whether every case passed.
    public var passed: Bool { cases.allSatisfy(\.passed) }

    /// The `--json` report.
    public var json: JSONValue {
        [
            "tool": .string(toolID), "version": .string(toolVersion), "passed": .bool(passed),
            "cases": .array(
                cases.map {
                    [
                        "name": .string($0.name), "passed": .bool($0.passed), "message": .string($0.message),
                        "runId": .string($0.runID), "seconds": .number($0.seconds),
                    ]
                }),
        ]
    }
}

extension OmegaService {
    /// Contract-tests `tool` (a folder, archive or installed `id[@version]`).
    ///
    /// - Parameters:
    ///   - tool: The package.
    ///   - env: Values for variables; only those the package declares are passed.
    ///   - onCase: Called with the report so far after each case (for live output; its last case is the new one).
    /// - Returns: The report; a Ctrl-C (a `CANCELLED` example) stops it after that example.
    /// - Throws: The resolver's error when the package cannot be resolved.
    public func contractTest(
        _ tool: String, env: [String: String] = [:], onCase: @Sendable (ContractTestReport) -> Void = { _ in }
    ) async throws(OmegaError) -> ContractTestReport {
        let resolved = try ToolResolver(home: home).resolve(tool)
        let manifest = resolved.manifest
        let declared = Set(manifest.env.map(\.name))
        let env = env.filter { declared.contains($0.key) }

        let lintStart = Date()
        let lint = Linter().lint(folder: resolved.directory, displayName: tool)
        let lintErrors = lint.issues.filter { $0.severity == .error }
        var report = ContractTestReport(
            toolID: manifest.id, toolVersion: manifest.version.description, lintIssues: lint.issues.map(\.description),
            cases: [
                .init(
                    name: "lint", passed: lintErrors.isEmpty,
                    message: lintErrors.map(\.description).joined(separator: "\n"), runID: "",
                    seconds: Date().timeIntervalSince(lintStart))
            ])
        onCase(report)
        guard lintErrors.isEmpty else { return report }

        let schema = manifest.output.flatMap { try? SchemaCache.shared.schema(for: $0) }
        for example in manifest.examples {
            let began = Date()
            var request = ExecutionRequest(
                tool: resolved.reference, input: example.input, env: env, approvedBy: "omega-exec test")
            request.keepApproval = false
            let outcome = await run(request)
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
            let result = ContractTestReport.Case(
                name: example.name, passed: problem == nil, message: problem ?? "", runID: outcome.runID,
                seconds: Date().timeIntervalSince(began))
            report.cases.append(result)
            onCase(report)
            if outcome.error?.code == .cancelled { break }  // Ctrl-C stops the whole test, not one example
        }
        return report
    }
}
