import JSON
import Service
import ToolRuntime

/// `tools/list`: the catalog in pages, with a cursor that names the last tool of the page, so the
/// next page starts right after it even if tools were pinned or unpinned in between (no tool is
/// returned twice and none that stayed is skipped).
extension MCPHost {
    func toolsList(_ context: MCPCallContext) -> Result<JSONValue, JSONRPCError> {
        var after: String?
        if let cursor = context.params["cursor"], cursor != .null {
            guard let text = cursor.stringValue, let name = Self.decodeCursor(text) else {
                return .failure(
                    .withReason(
                        JSONRPCError.invalidParams, "bad_cursor", "params.cursor is not a cursor this host issued"))
            }
            after = name
        }
        let catalog: ToolCatalog
        do {
            catalog = try ToolCatalog(registry: registry, user: context.peer.caller.user)
        } catch {
            return .failure(.withReason(JSONRPCError.internalError, "catalog_unavailable", error.message))
        }
        let remaining = catalog.tools.filter { after == nil || $0.name > after! }
        let page = remaining.prefix(configuration.pageSize)
        var members: [String: JSONValue] = ["tools": .array(page.map(\.definition))]
        if remaining.count > page.count, let last = page.last {
            members["nextCursor"] = .string(Self.encodeCursor(after: last.name))
        }
        // Pins are per user: the list may be cached only for this caller.
        return .success(context.result(members, cache: (ttlMs: 30_000, scope: "private")))
    }

    static func encodeCursor(after name: String) -> String { SealedToken.base64url(Array(("after:" + name).utf8)) }

    static func decodeCursor(_ cursor: String) -> String? {
        guard cursor.utf8.count <= 1024, let bytes = SealedToken.base64urlDecode(cursor),
            let text = String(validating: bytes, as: UTF8.self), text.hasPrefix("after:")
        else { return nil }
        return String(text.dropFirst(6))
    }
}
