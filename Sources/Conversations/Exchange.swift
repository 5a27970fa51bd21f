import ConversationStorage
import ModelAdapters

/// One assistant message being answered: the conversation, the message, the loop's state, who asked,
/// and the model that answers.
struct Exchange: Sendable {
    var conversation: ConversationRecord
    var message: MessageRecord
    var state: ExchangeState
    var caller: ConversationCaller
    var model: any ChatModel
    /// Whether this is the conversation's first exchange (its answer sets the title).
    var isFirst: Bool
    /// The user's request (the title comes from it).
    var request: String
    /// Whether the message runs a chosen plan (its steps are the first tool calls).
    var planChosen: Bool
    /// For a message resumed by an answer to its approval: who approved (nil: declined or not an approval).
    var approvedBy: String? = nil
    /// Whether the paused call's approval was declined (the call ends `POLICY_DENIED`).
    var declined = false
    /// Credentials given for the paused run only (`save: false`): passed to it as `env` when it
    /// resumes, then dropped; never stored, never in the transcript.
    var resumeEnv: [String: String] = [:]
}
