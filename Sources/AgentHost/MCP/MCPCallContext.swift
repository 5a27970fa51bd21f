import JSON

/// One request as the host handles it: who sent it, in which revision, with which capabilities.
struct MCPCallContext: Sendable {
    /// The connection it came on.
    let peer: MCPPeer
    /// The request id.
    let id: JSONRPCID
    /// The method.
    let method: String
    /// The params (an object; `{}` when absent).
    let params: JSONValue
    /// The 2026-07-28 revision when the request carried the `_meta` envelope; nil for a 2025-11-25 session.
    let modernVersion: String?
    /// The client's capabilities for this request (per request in 2026-07-28, from `initialize` before).
    let capabilities: JSONValue
    /// `_meta.progressToken`, when the client wants progress.
    let progressToken: JSONValue?

    /// Whether the request speaks 2026-07-28.
    var isModern: Bool { modernVersion != nil }

    /// Whether the client can answer a form elicitation (an empty `elicitation` object means form).
    var canElicitForm: Bool {
        guard case .object(let elicitation)? = capabilities["elicitation"] else { return false }
        return elicitation.isEmpty || elicitation["form"] != nil
    }

    /// Whether the client can answer a URL elicitation.
    var canElicitURL: Bool { capabilities["elicitation"]?["url"] != nil }

    /// Adds what every result of the revision needs: `resultType` in 2026-07-28 (and `ttlMs` and
    /// `cacheScope` for cacheable results), nothing for 2025-11-25.
    func result(
        _ members: [String: JSONValue], type: String = "complete", cache: (ttlMs: Int64, scope: String)? = nil
    ) -> JSONValue {
        guard isModern else { return .object(members) }
        var result = members
        result["resultType"] = .string(type)
        if let cache {
            result["ttlMs"] = .integer(cache.ttlMs)
            result["cacheScope"] = .string(cache.scope)
        }
        return .object(result)
    }
}
