import JSON
import RunStorage
import ToolRuntime

/// Reading runs: list, show, and follow a run's events through the store's subscription.
extension OmegaService {
    /// Runs, newest first.
    ///
    /// - Throws: `INTERNAL_ERROR` when the store fails.
    public func runs(status: RunStatus? = nil, limit: Int = 50) throws(OmegaError) -> [RunRecord] {
        try runs(RunQuery(status: status, limit: limit))
    }

    /// Runs matching `query`, newest first (a page; the next starts after the last one's cursor).
    ///
    /// - Throws: `INTERNAL_ERROR` when the store fails.
    public func runs(_ query: RunQuery) throws(OmegaError) -> [RunRecord] {
        do {
            return try store.runs(query)
        } catch {
            throw OmegaError(.internalError, "cannot list runs: \(error)")
        }
    }

    /// One run with its timeline and tool executions.
    ///
    /// - Throws: `INVALID_STATE` for an unknown run, `INTERNAL_ERROR` when the store fails.
    public func run(id: String) throws(OmegaError) -> RunDetail {
        do {
            guard let record = try store.run(id: id) else { throw OmegaError(.invalidState, "no run \(id)") }
            return RunDetail(
                record: record, events: try store.events(runID: id, after: 0), toolRuns: try store.toolRuns(runID: id))
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot read run \(id): \(error)")
        }
    }

    /// The run's events after `sequence`; with `follow`, then each new one as it is stored (woken by
    /// the store, at once in this process and within 50 ms from another) until the run ends or pauses.
    ///
    /// - Throws: `INVALID_STATE` for an unknown run (checked before anything is yielded).
    public func events(runID: String, after sequence: Int64 = 0, follow: Bool) throws(OmegaError)
        -> RunEventSubscription
    {
        do {
            guard try store.run(id: runID) != nil else { throw OmegaError(.invalidState, "no run \(runID)") }
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot read run \(runID): \(error)")
        }
        return store.events(of: runID, after: sequence, until: follow ? .finalOrPaused : .now)
    }
}

/// A run as `runs show` and `GET /api/runs/{id}` give it.
public struct RunDetail: Sendable {
    /// The run.
    public var record: RunRecord
    /// Its timeline.
    public var events: [RunEvent]
    /// Its tool executions.
    public var toolRuns: [ToolRunRecord]

    /// The record's JSON with `events` and `toolRuns` beside it.
    public var json: JSONValue {
        guard case .object(var members) = record.json else { return record.json }
        members["events"] = .array(events.map(\.json))
        members["toolRuns"] = .array(toolRuns.map(\.json))
        return .object(members)
    }
}
