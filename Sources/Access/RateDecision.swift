/// What ``RateLimiter/take(key:cost:nowMs:)`` decided for one request: whether it may go ahead, and
/// what to tell the caller (`RateLimit-Remaining`, `Retry-After`).
public struct RateDecision: Sendable, Hashable {
    /// Whether the request may go ahead (its tokens were taken).
    public var allowed: Bool
    /// Whole tokens left in the bucket after this decision (rounded down).
    public var remaining: Int
    /// When refused: whole seconds until the bucket holds the request's cost again, at least 1 (for
    /// a cost of 1, until one token is back). 0 when allowed.
    public var retryAfterSeconds: Int
    /// The bucket's capacity (`RateLimit-Limit`).
    public var limit: Int

    /// A decision.
    public init(allowed: Bool, remaining: Int, retryAfterSeconds: Int, limit: Int) {
        self.allowed = allowed
        self.remaining = remaining
        self.retryAfterSeconds = retryAfterSeconds
        self.limit = limit
    }
}
