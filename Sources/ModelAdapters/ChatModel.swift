import AgentHost
import JSON
import ToolRuntime

/// A model that chats and calls tools, streamed: the conversations API asks it for the next assistant
/// turn, runs the tool calls it makes (through the pipeline), gives it their results, and asks again,
/// until it answers without a tool call (DESIGN §12).
///
/// Implementations: the built-in offline model (the default, no network and no key; in
/// `Conversations`), ``OpenAIChatModel`` (OpenAI Chat Completions and compatible servers) and
/// ``AnthropicChatModel`` (Anthropic Messages). Every implementation:
/// - streams what it receives as it receives it (``ChatEvent``) and returns the whole turn at the end;
/// - never runs a tool itself: it only names the calls (``ChatToolCall``);
/// - stops promptly when its task is cancelled (`CANCELLED`);
/// - reports failures as ``OmegaError`` with a message that names what failed and never contains the
///   credential: `RATE_LIMITED` (the model's server answered 429; `details.retryAfterSeconds` when it
///   said), `UNAUTHORIZED` (401/403 from the model's server), `INTERNAL_ERROR` (5xx after its retries, a
///   stream cut before its end, a malformed chunk, a connection refused), `INVALID_INPUT` naming the field
///   for a request it cannot send.
public protocol ChatModel: Sendable {
    /// Which model answers; recorded on the messages and runs of the turn.
    var identity: ModelIdentity { get }

    /// Asks for the next assistant turn.
    ///
    /// - Parameters:
    ///   - request: The conversation so far, the tools offered, and the credential to call with.
    ///   - onEvent: Called for each streamed piece, in order, before this returns.
    /// - Returns: The whole turn: its text, its tool calls (possibly none) and why it stopped.
    func respond(to request: ChatRequest, onEvent: @escaping @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> ChatTurnResult
}
