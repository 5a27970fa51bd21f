import Credentials
import Foundation
import JSON
import Jail
import Logging
import Policy
import RunStorage
import Schema
import Synchronization

/// How a run ends for now: completed, paused at a step, or failed (each recorded with its redacted outcome).
extension ToolRunner {
    func finish(_ context: RunContext) throws(OmegaError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        var outcome = ExecutionOutcome(
            runID: context.runID, status: .completed, toolID: manifest.id, toolVersion: manifest.version.description,
            step: .finish, output: context.output, error: nil, verdict: context.verdict, artifacts: context.artifacts)
        outcome.status = .completed
        try transition(
            context,
            RunChange(
                status: .completed, step: .some(PipelineStep.finish.rawValue), owner: .some(nil), result: outcome.json),
            .runCompleted(
                output: context.output ?? .null, artifacts: context.artifacts.map(\.json),
                refusedArtifacts: context.refusedArtifacts))
        return outcome
    }

    func pause(_ context: RunContext, at step: PipelineStep, _ error: OmegaError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = OmegaError(error.code, context.redactor.redact(error.message), details: error.details)
        let outcome = ExecutionOutcome(
            runID: context.runID, status: .paused, toolID: manifest.id, toolVersion: manifest.version.description,
            step: step, error: safe, artifacts: [])
        do {
            try transition(
                context,
                RunChange(status: .paused, step: .some(step.rawValue), owner: .some(nil), result: outcome.json),
                .runPaused(step: step.rawValue, reason: safe.code.rawValue, error: safe.json))
        } catch {
            return fail(context, at: step, error)
        }
        return outcome
    }

    func fail(_ context: RunContext, at step: PipelineStep, _ error: OmegaError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = OmegaError(
            error.code, context.redactor.redact(error.message),
            details: context.redact(.object(error.details)).objectValue ?? [:])
        let cancelled = safe.code == .cancelled
        let outcome = ExecutionOutcome(
            runID: context.runID, status: cancelled ? .cancelled : .failed, toolID: manifest.id,
            toolVersion: manifest.version.description, step: step, output: nil, error: safe, verdict: context.verdict,
            artifacts: context.artifacts)
        _ = try? transition(
            context,
            RunChange(
                status: cancelled ? .cancelled : .failed, step: .some(step.rawValue), owner: .some(nil),
                result: outcome.json),
            cancelled
                ? .runCancelled(step: step.rawValue, error: safe.json)
                : .runFailed(step: step.rawValue, error: safe.json))
        return outcome
    }
}
