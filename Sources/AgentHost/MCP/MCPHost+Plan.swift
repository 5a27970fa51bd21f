import JSON
import Service
import ToolRuntime

/// `plan` and flow D's alternatives, through the configured ``ModelProvider``.
extension MCPHost {
    func plan(_ context: MCPCallContext, arguments: JSONValue) async -> JSONValue {
        if let unknown = arguments.objectValue?.keys.sorted().first(where: { $0 != "request" }) {
            return errorResult(
                context,
                OmegaError(
                    .invalidInput, "\(unknown) is not an argument of plan (request)",
                    details: ["field": .string(unknown)]
                ).json)
        }
        guard let text = arguments["request"]?.stringValue else {
            return errorResult(
                context, OmegaError(.invalidInput, "request: expected a string", details: ["field": "request"]).json)
        }
        do {
            let response = try await planner.plan(PlanRequest(text: text, user: context.peer.caller.user))
            let structured = response.json
            return context.result([
                "content": [["type": "text", "text": .string(structured.jsonText)]], "structuredContent": structured,
                "isError": false,
            ])
        } catch {
            return errorResult(context, error.json)
        }
    }

    /// Other tools for the job a failed tool was called for, each with the keys it needs; `[]` when
    /// there are none or the planner fails (the failure itself is what the caller must see).
    func alternatives(toolID: String, code: OmegaError.Code, user: String) async -> JSONValue {
        do {
            let found = try await planner.alternatives(
                for: ToolFailure(toolId: toolID, code: code), user: user, limit: OfflinePlanner.maximumAlternatives)
            return .array(found.map(\.json))
        } catch {
            logger.warning("no alternatives", metadata: ["tool": "\(toolID)", "error": "\(error)"])
            return []
        }
    }
}
