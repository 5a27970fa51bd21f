import Credentials
import JSON
import RunStorage
import ToolRuntime

/// What a human (or a client) answers to a paused run.
public enum PauseAnswer: Sendable {
    /// Approve the exact call the run waits for, as `principal`.
    case approve(principal: String)
    /// Values for the missing variables (never stored with the run); `saveInVault` also stores them
    /// in the vault under the tool's scope (`tool:<id>`), so later runs of that tool find them.
    case credentials([String: String], saveInVault: Bool)
}

extension OmegaService {
    /// Answers the pause of the run `runID` and resumes it from the step that paused it.
    ///
    /// What the run waits for, its tool and the names it is missing are read from the store, never
    /// taken from the caller. Values are saved only for names the pause asked for, only once they
    /// pass the same checks a call's `env` does, and only under `tool:<id>` of an installed package
    /// (a folder or archive named by path could claim any id, so saving is refused for it).
    ///
    /// - Parameters:
    ///   - runID: The paused run.
    ///   - answer: The answer.
    ///   - env: Variables the original call gave (kept for the resumed run).
    ///   - user: The user for vault lookups.
    ///   - observer: Sees each event as it is stored.
    ///   - onSaved: Called after saving, before the run resumes, with the error when saving failed.
    /// - Returns: The resumed run's outcome; `INVALID_STATE` (nothing recorded) when the run does not
    ///   wait for this kind of answer.
    public func answer(
        runID: String, with answer: PauseAnswer, env: [String: String] = [:], user: String? = nil,
        observer: EventObserver? = nil, onSaved: @Sendable (OmegaError?) -> Void = { _ in }
    ) async -> ExecutionOutcome {
        let record: RunRecord
        do {
            guard let found = try store.run(id: runID) else { return refused(runID, "no run \(runID)") }
            record = found
        } catch {
            return refused(runID, "cannot read run \(runID): \(error)", code: .internalError)
        }
        let waitsFor = record.result.flatMap(OmegaError.init(json:))?.code
        guard record.status == .paused else {
            return refused(runID, "run \(runID) is \(record.status.rawValue), not paused", status: record.status)
        }
        switch (waitsFor, answer) {
        case (.approvalRequired, .approve(let principal)):
            return await resume(runID: runID, env: env, approvedBy: principal, user: user, observer: observer)
        case (.missingEnvVars, .credentials(let given, let save)):
            let asked = Set(
                (record.result?["details"]?["missingVars"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            let values = given.filter { asked.contains($0.key) }
            if save {
                onSaved(saveAnswered(values, record: record))
            }
            return await resume(
                runID: runID, env: env.merging(values) { _, new in new }, user: user, observer: observer)
        default:
            return refused(
                runID, "run \(runID) waits for \(waitsFor?.rawValue ?? "nothing"), not this answer",
                status: record.status)
        }
    }

    /// Saves answered credentials under the run's tool scope; the error when it may not or cannot.
    private func saveAnswered(_ values: [String: String], record: RunRecord) -> OmegaError? {
        guard !record.toolReference.isEmpty, !record.toolReference.hasPrefix("/") else {
            return OmegaError(
                .invalidInput,
                "credentials are saved only for installed packages; \(record.toolID) was named by path",
                details: ["field": "saveInVault"])
        }
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            // Every answered name is a declared variable (the pause asked for it); a saved credential is
            // always treated as a secret.
            if let problem = EnvValue.problem(with: value, secret: true) {
                return OmegaError(.invalidInput, "env: /env/\(name) \(problem)", details: ["field": "env"])
            }
        }
        do {
            try CredentialService(home: home).save(values, forTool: record.toolID)
            return nil
        } catch {
            return error
        }
    }

    private func refused(
        _ runID: String, _ message: String, code: OmegaError.Code = .invalidState, status: RunStatus = .failed
    ) -> ExecutionOutcome {
        ExecutionOutcome(
            runID: runID, status: status, toolID: "", toolVersion: "", step: .resolve,
            error: OmegaError(code, message), artifacts: [])
    }
}
