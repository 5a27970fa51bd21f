import AgentHost
import JSON
import ModelAdapters
import ToolRuntime

/// The default chat model: the built-in offline planner put to work in a conversation, with no network
/// and no key (DESIGN §12).
///
/// For a new request it plans (``OfflinePlanner``) and, when the best plan runs one tool whose input it
/// could fill entirely from the request (every value checked by the tool's schema), calls
/// `registry_execute` with that tool and input; otherwise it answers with what it found and what it
/// still needs (the missing inputs, or that no tool matches). After tool results it answers from them:
/// each tool's output, or its error code and message and the alternatives the host found (flow D).
/// Deterministic: the same registry and turns give the same answer. It streams its text a word at a time.
public struct OfflineChatModel: ChatModel {
    /// The planner it plans with.
    public let planner: OfflinePlanner
    /// Whose pins and vault count.
    public let user: String
    /// Plans already made for one request text (the host shows them before the first turn), used
    /// instead of planning that text again.
    let planned: (text: String, response: PlanResponse)?

    public init(planner: OfflinePlanner, user: String) {
        self.init(planner: planner, user: user, planned: nil)
    }

    init(planner: OfflinePlanner, user: String, planned: (text: String, response: PlanResponse)?) {
        self.planner = planner
        self.user = user
        self.planned = planned
    }

    /// This model, answering `text` with `response` instead of planning it again.
    func reusing(_ response: PlanResponse, for text: String) -> OfflineChatModel {
        OfflineChatModel(planner: planner, user: user, planned: (text, response))
    }

    public var identity: ModelIdentity { OfflinePlanner.identity }

    /// The plans for `text`, or the planner's refusal.
    public func plans(for text: String) -> Result<PlanResponse, OmegaError> {
        if let planned, planned.text == text { return .success(planned.response) }
        do throws(OmegaError) {
            return .success(try planner.planNow(PlanRequest(text: text, user: user)))
        } catch {
            return .failure(error)
        }
    }

    public func respond(to request: ChatRequest, onEvent: @escaping @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> ChatTurnResult
    {
        if Task.isCancelled { throw OmegaError(.cancelled, "the message was cancelled") }
        guard let lastUser = request.turns.lastIndex(where: { if case .user = $0 { true } else { false } }),
            case .user(let text) = request.turns[lastUser]
        else {
            return await say("There is no request to answer yet.", onEvent)
        }
        let after = request.turns[(lastUser + 1)...]
        let results = after.compactMap { turn -> (callID: String, content: String, isError: Bool)? in
            if case .toolResult(let callID, _, let content, let isError) = turn { return (callID, content, isError) }
            return nil
        }
        if !results.isEmpty {
            return await say(answer(results, turns: request.turns), onEvent)
        }
        switch plans(for: text) {
        case .failure(let error):
            return await say("I could not plan that: \(error.message)", onEvent)
        case .success(let response):
            let plan = response.best
            if let step = plan.steps.first(where: { $0.toolName == "registry_execute" && $0.toolId != nil }),
                step.missingInputs.isEmpty, step.inputValid != false, let toolID = step.toolId
            {
                let lead = "Running \(toolID)."
                var spoken = await say(lead, onEvent)
                let call = ChatToolCall(
                    id: "call_1", name: "registry_execute",
                    arguments: ["toolId": .string(toolID), "input": step.input ?? [:]])
                await onEvent(.toolCall(call))
                spoken.toolCalls = [call]
                spoken.stopReason = .toolCalls
                return spoken
            }
            return await say(explain(response), onEvent)
        }
    }

    /// What the best plan found and what it still needs, in plain sentences.
    func explain(_ response: PlanResponse) -> String {
        let plan = response.best
        guard let step = plan.steps.first(where: { $0.toolId != nil }), let toolID = step.toolId else {
            return plan.reasoning
        }
        var text = "\(toolID) could do this (\(step.purpose))."
        if !step.missingInputs.isEmpty {
            let names = step.missingInputs.map(\.json).compactMap { $0["name"]?.stringValue ?? $0["path"]?.stringValue }
            text +=
                " It needs \(names.isEmpty ? "more input" : names.joined(separator: ", ")), which your message does not give; say it and I will run it."
        } else if step.inputValid == false {
            text += " The input I could read from your message does not fit its schema; say it more exactly."
        }
        return text + " " + plan.reasoning
    }

    /// The answer from tool results: each tool's output or its failure and alternatives.
    func answer(_ results: [(callID: String, content: String, isError: Bool)], turns: [ChatTurn]) -> String {
        var calls: [String: ChatToolCall] = [:]
        for turn in turns {
            if case .assistant(_, let made) = turn { for call in made { calls[call.id] = call } }
        }
        var lines: [String] = []
        for result in results {
            let call = calls[result.callID]
            let tool = call?.arguments["toolId"]?.stringValue ?? call?.name ?? "the tool"
            let parsed = try? JSONParser().parse(result.content)
            if !result.isError {
                if call?.name == "registry_search" {
                    let found = parsed?["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                    lines.append(
                        found.isEmpty
                            ? "The search found no tool." : "The search found: \(found.joined(separator: ", ")).")
                    continue
                }
                let output = parsed?["output"] ?? parsed ?? .string(result.content)
                lines.append("\(tool) finished. Result: \(Self.brief(output))")
                continue
            }
            let code = parsed?["details"]?["code"]?.stringValue ?? "ERROR"
            let message = parsed?["error"]?.stringValue ?? "it failed"
            var line = "\(tool) failed (\(code)): \(message)."
            let alternatives = parsed?["alternatives"]?.arrayValue ?? []
            if alternatives.isEmpty {
                if code != OmegaError.Code.cancelled.rawValue { line += " No other tool in the registry does this." }
            } else {
                let names = alternatives.compactMap { alternative -> String? in
                    guard let id = alternative["id"]?.stringValue else { return nil }
                    let missing = alternative["missingEnvVars"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    return missing.isEmpty ? id : "\(id) (needs \(missing.joined(separator: ", ")))"
                }
                line += " Alternatives: \(names.joined(separator: ", "))."
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Compact JSON, at most 2,000 characters.
    static func brief(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count <= 2000 ? text : String(text.prefix(2000)) + "…"
    }

    /// Streams `text` a word at a time and returns it as a finished turn.
    func say(_ text: String, _ onEvent: @Sendable (ChatEvent) async -> Void) async -> ChatTurnResult {
        var piece = ""
        for character in text {
            piece.append(character)
            if character == " " || character == "\n" {
                await onEvent(.text(piece))
                piece = ""
            }
        }
        if !piece.isEmpty { await onEvent(.text(piece)) }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
        return ChatTurnResult(text: text, toolCalls: [], stopReason: .end, usage: ChatUsage(outputTokens: words))
    }
}
