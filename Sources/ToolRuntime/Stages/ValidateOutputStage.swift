import Credentials
import Foundation
import JSON
import Jail
import Policy
import RunStorage
import Schema
import ToolPackage

/// Parses stdout as one JSON document and validates it against the output schema; the redacted
/// output is what the run returns.
struct ValidateOutputStage: PipelineStage {
    static let step = PipelineStep.validateOutput

    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError) {
        do {
            try validate(context)
        } catch {
            runner.recordHealth(context, success: false)
            throw error
        }
        runner.recordHealth(context, success: true)
    }

    private func validate(_ context: RunContext) throws(OmegaError) {
        let manifest = context.tool.manifest
        let text = context.stdout
        guard !text.allSatisfy(\.isWhitespace) else {
            throw OmegaError(.invalidOutput, "\(manifest.id) printed nothing on stdout (expected one JSON document)")
        }
        let output: JSONValue
        do {
            output = try
                (context.stdoutDocument ?? Result { () throws(JSONParser.Error) in try JSONParser().parse(text) }).get()
        } catch {
            throw OmegaError(
                .invalidOutput, "\(manifest.id) printed something that is not one JSON document: \(error)",
                details: ["stdoutHead": .string(context.redactor.redact(String(text.prefix(512))))])
        }
        if let outputSchema = manifest.output {
            let schema: JSONSchema
            do {
                schema = try SchemaCache.shared.schema(for: outputSchema)
            } catch {
                throw OmegaError(.invalidManifest, "\(manifest.id): the output schema does not compile: \(error)")
            }
            let result = schema.validate(output)
            if !result.isValid {
                let first = result.errors[0]
                let at = first.instancePath.description.isEmpty ? "(root)" : first.instancePath.description
                throw OmegaError(
                    .invalidOutput,
                    "the output of \(manifest.id) does not match its output schema: \(at): \(context.redactor.redact(first.message))",
                    details: [
                        "errors": .array(
                            result.errors.prefix(20).map {
                                [
                                    "path": .string($0.instancePath.description),
                                    "message": .string(context.redactor.redact($0.message)),
                                ]
                            })
                    ])
            }
        }
        context.output = context.redact(output)
    }
}
