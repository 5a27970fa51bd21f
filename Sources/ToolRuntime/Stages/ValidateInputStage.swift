import Credentials
import Foundation
import JSON
import Jail
import Policy
import RunStorage
import Schema
import ToolPackage

/// Checks the caller's `env` (declared names, sane values) and the input against the input schema.
struct ValidateInputStage: PipelineStage {
    static let step = PipelineStep.validateInput

    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError) {
        try Self.validateEnv(context)
        let manifest = context.tool.manifest
        let schema: JSONSchema
        do {
            schema = try SchemaCache.shared.schema(for: manifest.input)
        } catch {
            throw OmegaError(.invalidManifest, "\(manifest.id): the input schema does not compile: \(error)")
        }
        let result = schema.validate(context.input)
        guard result.isValid else {
            let errors = result.errors.prefix(20).map { error -> JSONValue in
                ["path": .string(error.instancePath.description), "message": .string(error.message)]
            }
            let first = result.errors[0]
            let at = first.instancePath.description.isEmpty ? "(root)" : first.instancePath.description
            throw OmegaError(
                .invalidInput, "input does not match the input schema of \(manifest.id): \(at): \(first.message)",
                details: ["errors": .array(errors)])
        }
    }

    /// The caller's `env` may only name variables the tool declares, with sane values.
    static func validateEnv(_ context: RunContext) throws(OmegaError) {
        let manifest = context.tool.manifest
        var problems: [JSONValue] = []
        let declared = Dictionary(manifest.env.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in context.providedEnv.sorted(by: { $0.key < $1.key }) {
            if declared[name] == nil {
                problems.append(
                    [
                        "path": .string("/env/\(name)"),
                        "message": .string(
                            "is not an environment variable the tool declares (declared: \(manifest.env.isEmpty ? "none" : manifest.env.map(\.name).joined(separator: ", ")))"
                        ),
                    ])
            } else if let problem = EnvValue.problem(with: value, secret: declared[name]?.secret == true) {
                problems.append(["path": .string("/env/\(name)"), "message": .string(problem)])
            }
        }
        if !problems.isEmpty {
            let first = problems[0]
            throw OmegaError(
                .invalidInput,
                "env: \(first["path"]?.stringValue ?? "") \(first["message"]?.stringValue ?? "")"
                    + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""),
                details: ["errors": .array(problems)])
        }
    }
}
