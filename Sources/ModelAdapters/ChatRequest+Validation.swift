import ToolRuntime

extension ChatRequest {
    /// Most tokens a turn may ask for.
    public static let maximumMaxTokens = 1_000_000

    /// Checks that the request can be sent to either API: a credential (when given) of printable ASCII
    /// without spaces, `maxTokens` in 1…1,000,000, at least one user turn, tool names of 1–64
    /// `a-zA-Z0-9_-` and unique, every tool's input schema an object schema, and every tool result
    /// answering an earlier call of an assistant turn. No error quotes the credential.
    ///
    /// - Throws: `INVALID_INPUT` naming the field (`tools[1].name: …`, `turns[3]: …`).
    public func validate() throws(OmegaError) {
        guard (1...Self.maximumMaxTokens).contains(maxTokens) else {
            throw OmegaError(
                .invalidInput, "maxTokens: expected an integer from 1 to \(Self.maximumMaxTokens), got \(maxTokens)")
        }
        if let credential, !credential.isEmpty {
            // Its value is never quoted, not even here.
            guard credential.utf8.count <= 8192, credential.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw OmegaError(
                    .invalidInput,
                    "credential: expected an API key of printable ASCII without spaces (at most 8192 bytes)")
            }
        }
        var names: Set<String> = []
        for (index, tool) in tools.enumerated() {
            guard Self.isValidToolName(tool.name) else {
                throw OmegaError(
                    .invalidInput,
                    "tools[\(index)].name: expected 1 to 64 of a-z A-Z 0-9 _ -, got \"\(tool.name.prefix(80))\"")
            }
            guard names.insert(tool.name).inserted else {
                throw OmegaError(.invalidInput, "tools[\(index)].name: \"\(tool.name)\" is offered twice")
            }
            guard case .object = tool.inputSchema, tool.inputSchema["type"]?.stringValue ?? "object" == "object" else {
                throw OmegaError(
                    .invalidInput, "tools[\(index)].inputSchema: expected a JSON Schema object of type \"object\"")
            }
        }
        var calls: Set<String> = []
        var sawUser = false
        for (index, turn) in turns.enumerated() {
            switch turn {
            case .system: break
            case .user: sawUser = true
            case .assistant(_, let toolCalls):
                for (position, call) in toolCalls.enumerated() {
                    guard !call.id.isEmpty, Self.isValidToolName(call.name) else {
                        throw OmegaError(
                            .invalidInput, "turns[\(index)].toolCalls[\(position)]: expected an id and a tool name")
                    }
                    guard case .object = call.arguments else {
                        throw OmegaError(
                            .invalidInput, "turns[\(index)].toolCalls[\(position)].arguments: expected a JSON object")
                    }
                    calls.insert(call.id)
                }
            case .toolResult(let callID, _, _, _):
                guard calls.contains(callID) else {
                    throw OmegaError(
                        .invalidInput,
                        "turns[\(index)]: the tool result for \"\(callID.prefix(80))\" answers no earlier tool call")
                }
            }
        }
        guard sawUser else { throw OmegaError(.invalidInput, "turns: expected at least one user turn") }
    }

    /// Whether `name` is 1–64 of `a-zA-Z0-9_-` (what both APIs accept as a tool name).
    public static func isValidToolName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: "-")
            }
    }
}
