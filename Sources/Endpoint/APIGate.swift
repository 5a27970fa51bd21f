import Access
import Audit
import Hummingbird
import JSON
import Logging
import Service
import ToolRuntime

/// The checks before every `/api` route: an API key (`Authorization: Bearer`, constant-time, every
/// refusal the same `UNAUTHORIZED`), then the key's rate limit (token bucket; `RATE_LIMITED`, 429 with
/// `Retry-After`). Refusals and limit events are logged and written to the audit log (never the
/// token); a key's use is audited at most once a minute per key (with the route).
struct APIGate: Sendable {
    let services: APIServices
    let logger: Logger

    /// The one refusal of every request without a valid key.
    static let unauthorized = OmegaError(
        .unauthorized,
        "a valid API key is required: send Authorization: Bearer <key> (create one with omega-exec keys create)")

    /// The key the request acts with, or the response refusing it.
    func admit(_ request: Request, route: String) -> Result<APIKey, OmegaError> {
        // One answer for a missing, malformed, wrong or revoked key: nothing tells them apart.
        var refusal = Self.unauthorized
        switch BearerToken.parse(request.headers) {
        case .failure: break
        case .success(let token):
            do throws(OmegaError) {
                let key = try services.keys.authenticate(bearer: token)
                return limit(key, request: request, route: route)
            } catch {
                refusal = error
            }
        }
        if refusal.code != .unauthorized {
            logger.error("cannot check an API key", metadata: ["error": "\(refusal.message)"])
            return .failure(refusal)
        }
        refusal = Self.unauthorized
        services.metrics.unauthorized()
        logger.debug("refused a request without a valid API key", metadata: ["route": "\(route)"])
        let now = AccessStore.currentTimeMs()
        let due = services.refusals.withLock { state -> Int? in
            state.pending += 1
            guard now - state.lastWrittenMs >= 1000 else { return nil }
            defer { state = (0, now) }
            return state.pending
        }
        if let count = due {
            logger.info(
                "refused requests without a valid API key", metadata: ["count": "\(count)", "route": "\(route)"])
            services.auditQueue.submit(
                .keyRefused, actor: AuditActor(user: "anonymous"),
                fields: [
                    "route": .string(route), "method": .string(request.method.rawValue),
                    "refusals": .integer(Int64(count)),
                ])
        }
        return .failure(refusal)
    }

    private func limit(_ key: APIKey, request: Request, route: String) -> Result<APIKey, OmegaError> {
        let now = AccessStore.currentTimeMs()
        let decision = services.limiter.take(key: key.id, cost: 1, nowMs: now)
        guard decision.allowed else {
            services.metrics.rateLimited()
            logger.notice(
                "rate limit reached",
                metadata: ["key": "\(key.id)", "route": "\(route)", "retryAfter": "\(decision.retryAfterSeconds)"])
            services.auditQueue.submit(
                .rateLimited, actor: AuditActor(user: key.user, keyID: key.id),
                fields: [
                    "route": .string(route), "method": .string(request.method.rawValue),
                    "retryAfterSeconds": .integer(Int64(decision.retryAfterSeconds)),
                ])
            return .failure(
                OmegaError(
                    .rateLimited,
                    "rate limit reached for this key; retry after \(decision.retryAfterSeconds) s",
                    details: ["retryAfterSeconds": .integer(Int64(decision.retryAfterSeconds))]))
        }
        let due = services.lastKeyUseAudit.withLock { last -> Bool in
            if let at = last[key.id], now - at < 60_000 { return false }
            if last.count > 10_000 { last.removeAll() }
            last[key.id] = now
            return true
        }
        if due {
            services.auditQueue.submit(
                .keyUse, actor: AuditActor(user: key.user, keyID: key.id),
                fields: ["route": .string(route), "method": .string(request.method.rawValue)])
        }
        return .success(key)
    }
}
