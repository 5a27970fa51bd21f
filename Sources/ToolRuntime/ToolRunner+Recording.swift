import Foundation
import JSON
import RunStorage

/// Everything the runner writes to the store for a run passes through here, redacted first.
extension ToolRunner {
    /// Appends `payload` (redacted) to the run and shows it to the observer.
    @discardableResult
    func record(_ context: RunContext, _ payload: RunEventPayload) throws(OmegaError) -> RunEvent {
        do {
            let event = try store.append(
                runID: context.runID, type: payload.type, data: context.redact(payload.json), atMs: Self.nowMs())
            context.observer?(event)
            return event
        } catch {
            throw OmegaError(.internalError, "cannot record \(payload.type.rawValue): \(error)")
        }
    }

    /// Applies `change` (its result redacted) and appends `payload` (redacted), atomically.
    func transition(_ context: RunContext, _ change: RunChange, _ payload: RunEventPayload) throws(OmegaError) {
        var change = change
        change.result = change.result.map(context.redact)
        do {
            let event = try store.transition(
                runID: context.runID, change: change, event: payload.type, data: context.redact(payload.json),
                atMs: Self.nowMs())
            context.observer?(event)
        } catch {
            throw OmegaError(
                error.code == .invalidTransition ? .invalidState : .internalError,
                "cannot record \(payload.type.rawValue): \(error)")
        }
    }

    /// Replays the run's stored events to the observer (after a prologue created or resumed it).
    func observe(_ context: RunContext) {
        guard let observer = context.observer else { return }
        let events = (try? store.events(runID: context.runID, after: 0)) ?? []
        if let last = events.last, last.type == .runResumed {
            observer(last)
        } else {
            for event in events { observer(event) }
        }
    }

    /// Records a call's outcome in the circuit breaker (kept in the store, keyed by the exact package).
    func recordHealth(_ context: RunContext, success: Bool) {
        // A success of a tool with a clean record changes nothing: skip the write.
        if success && context.healthWasClean { return }
        do {
            let health = try store.recordToolOutcome(
                toolID: context.breakerKey, success: success, threshold: configuration.breakerThreshold,
                cooldownMs: Int64(configuration.breakerCooldownSeconds * 1000), atMs: Self.nowMs())
            if !success, health.consecutiveFailures == configuration.breakerThreshold {
                logger.notice(
                    "circuit opened",
                    metadata: ["tool": "\(health.toolID)", "failures": "\(health.consecutiveFailures)"])
            }
        } catch {
            logger.warning("could not record the circuit breaker outcome", metadata: ["error": "\(error)"])
        }
    }

    /// Milliseconds since the epoch.
    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A new, time-ordered run id: `run_` + 12 hex digits of milliseconds + 12 random hex digits.
    static func newRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let time = String(UInt64(nowMs()), radix: 16)
        let random = String((generator.next() as UInt64) & 0xFFFF_FFFF_FFFF, radix: 16)
        return "run_" + String(repeating: "0", count: max(0, 12 - time.count)) + time
            + String(repeating: "0", count: max(0, 12 - random.count)) + random
    }
}
