import Credentials
import JSON
import Logging
import RunStorage
import ToolRuntime

/// The use cases every surface shares (the CLI today, the HTTP endpoint and the MCP host next): run a
/// tool, answer a pause, list / show / follow / cancel / resume / replay runs, and contract-test a
/// package. A surface turns its request into one call here and renders the result; the same request
/// gives the same result and the same error code (``OmegaError``) on every surface.
///
/// It owns the tool runner (the pipeline) and reaches the run store and the vault only through it
/// and the home; nothing here prints.
public final class OmegaService: Sendable {
    /// The pipeline every call goes through.
    public let runner: ToolRunner
    /// Observes each event of a run as it is stored, in order.
    public typealias EventObserver = ToolRunner.EventObserver

    /// The appliance's home (store, vault, packages, policy).
    public var home: OmegaHome { runner.configuration.home }
    /// The run store.
    var store: any RunStore { runner.store }

    /// A service over `configuration`: prepares the home, opens the store, recovers interrupted runs.
    ///
    /// - Throws: `INTERNAL_ERROR` when the home or the store cannot be opened.
    public init(
        configuration: RuntimeConfiguration = .fromEnvironment(), store: (any RunStore)? = nil,
        logger: Logger = Logger(label: "omega.service")
    ) throws(OmegaError) {
        runner = try ToolRunner(configuration: configuration, store: store, logger: logger)
    }

    /// Runs a tool call through the pipeline until it completes, fails or pauses.
    public func run(_ request: ExecutionRequest, observer: EventObserver? = nil) async -> ExecutionOutcome {
        await runner.start(request, observer: observer)
    }

    /// Continues a paused run from the step that paused it (see ``ToolRunner/resume(runID:env:approvedBy:user:observer:)``).
    public func resume(
        runID: String, env: [String: String] = [:], approvedBy: String? = nil, user: String? = nil,
        keepApproval: Bool = true, observer: EventObserver? = nil
    ) async -> ExecutionOutcome {
        await runner.resume(
            runID: runID, env: env, approvedBy: approvedBy, user: user, keepApproval: keepApproval, observer: observer)
    }

    /// Runs a recorded run again as a new run (same package digest, version and input).
    public func replay(
        runID: String, env: [String: String] = [:], approvedBy: String? = nil, observer: EventObserver? = nil
    ) async -> ExecutionOutcome {
        await runner.replay(runID: runID, env: env, approvedBy: approvedBy, observer: observer)
    }

    /// Stops a run (see ``ToolRunner/cancel(runID:)``).
    ///
    /// - Returns: false when the run had already ended.
    /// - Throws: `INVALID_STATE` for an unknown run, `INTERNAL_ERROR` when the store fails.
    @discardableResult
    public func cancel(runID: String) throws(OmegaError) -> Bool { try runner.cancel(runID: runID) }

    /// Cancels every run this process drives and waits for them (Ctrl-C, SIGTERM, shutdown).
    public func cancelAll() async { await runner.cancelAll() }

    /// Waits until finished runs' scratch space is released; call it before the process exits.
    public func drain() { runner.drainCleanup() }
}
