import JSON
extension ToolManifest {
    /// The MCP tool annotations derived from ``risk``, ``scopes`` and ``execution``.
    ///
    /// The mapping:
    /// - `title` ← ``title``.
    /// - `readOnlyHint` ← `risk.readOnly`.
    /// - `destructiveHint` ← `!readOnly && (externalWrite || level == high)`: a tool that writes to
    ///   the outside world, or is declared high risk, may destroy something; a read-only tool cannot.
    /// - `idempotentHint` ← `risk.idempotent` when declared, else `readOnly` (reading twice changes
    ///   nothing; a writer is not assumed idempotent).
    /// - `openWorldHint` ← `externalWrite`, or a remote binding (`mcp_remote`, `openapi_proxy`), or any
    ///   scope other than the local-file scopes `read_files`/`write_files` (`read_web`, `read_github`,
    ///   `send_email`… reach external entities).
    public var mcpAnnotations: [String: JSONValue] {
        let remote: Bool
        switch execution {
        case .mcpRemote, .openAPIProxy: remote = true
        case .sandboxJob, .inprocSafe: remote = false
        }
        let localScopes: Set<String> = ["read_files", "write_files"]
        let openWorld = risk.externalWrite || remote || scopes.contains { !localScopes.contains($0) }
        return [
            "title": .string(title),
            "readOnlyHint": .bool(risk.readOnly),
            "destructiveHint": .bool(!risk.readOnly && (risk.externalWrite || risk.level == .high)),
            "idempotentHint": .bool(risk.idempotent ?? risk.readOnly),
            "openWorldHint": .bool(openWorld),
        ]
    }

    /// The manifest as an MCP `Tool` object (`name`, `title`, `description`, `inputSchema`,
    /// `outputSchema` when declared, `annotations`), ready for a `tools/list` answer unchanged.
    public var mcpTool: JSONValue {
        var tool: [String: JSONValue] = [
            "name": .string(id),
            "title": .string(title),
            "description": .string(description),
            "inputSchema": input,
            "annotations": .object(mcpAnnotations),
        ]
        if let output { tool["outputSchema"] = output }
        return .object(tool)
    }
}
