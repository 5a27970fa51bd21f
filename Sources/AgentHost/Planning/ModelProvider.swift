import ToolRuntime

/// The one interface through which the agent host asks a model for plans (DESIGN §12).
///
/// The built-in ``OfflinePlanner`` (no network, no key) is the default; adapters for the OpenAI Chat
/// Completions and Anthropic Messages APIs implement the same protocol, so the host, the MCP `plan`
/// tool and the conversations API never know which model answered. Every provider:
/// - validates what it is given and refuses a bad request with `INVALID_INPUT` naming the field
///   (`request`, `maxPlans`, `toolId`, `limit`) before it searches or calls anything;
/// - returns at least one plan, best first, each in the shape of DESIGN §7 (``Plan/json``), and at
///   most ``PlanRequest/maxPlans``;
/// - never runs a tool: a plan is a proposal the host shows, asks for what is missing, and runs only
///   on the user's go-ahead;
/// - reports failures as ``OmegaError`` (`INTERNAL_ERROR` when its store or model cannot be reached,
///   `RATE_LIMITED` or `UNAUTHORIZED` for a remote model that refuses the call).
public protocol ModelProvider: Sendable {
    /// Which model answers; recorded on the runs its plans lead to.
    var identity: ModelIdentity { get }

    /// Proposes plans for a request.
    ///
    /// - Parameter request: What the user wants done, and for whom.
    /// - Returns: Between 1 and `request.maxPlans` plans, best first.
    /// - Throws: `INVALID_INPUT` naming the field for a request that cannot be planned (empty, too
    ///   long, control characters); `INTERNAL_ERROR` when the registry or the model fails.
    func plan(_ request: PlanRequest) async throws(OmegaError) -> PlanResponse

    /// Proposes other tools for a call that failed (flow D).
    ///
    /// - Parameters:
    ///   - failure: The tool that failed and how.
    ///   - user: Whose pins and vault count (nil: the local user).
    ///   - limit: Most alternatives wanted, 1…``OfflinePlanner/maximumAlternatives``.
    /// - Returns: At most `limit` tools other than the failed one, best first; empty when the registry
    ///   has none (the host says so).
    /// - Throws: `INVALID_INPUT` naming the field (`toolId`, `version`, `limit`); `INTERNAL_ERROR`.
    func alternatives(for failure: ToolFailure, user: String?, limit: Int) async throws(OmegaError) -> [Alternative]
}

extension ModelProvider {
    /// ``alternatives(for:user:limit:)`` for the local user, at most five.
    public func alternatives(for failure: ToolFailure) async throws(OmegaError) -> [Alternative] {
        try await alternatives(for: failure, user: nil, limit: OfflinePlanner.maximumAlternatives)
    }
}
