import JSON

/// Which model made a plan: the provider and the model at a version. Recorded on the runs a plan
/// leads to, so that a replay can ask the same model (DESIGN §12).
///
/// Two identities are equal exactly when provider, model and version are; a provider must change
/// ``version`` whenever the same request could be answered differently.
public struct ModelIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Who serves the model: `omega` for the built-in offline planner, `openai`, `anthropic`, or the
    /// name of an OpenAI-compatible server.
    public var provider: String
    /// The model's name at that provider (`offline-planner`, `gpt-4.1`, `claude-sonnet-4-5`, …).
    public var model: String
    /// The model's version or snapshot as the provider reports it (for the offline planner, the version
    /// of its rules: it changes whenever the same registry and request would give another plan).
    public var version: String

    /// An identity.
    ///
    /// - Parameters:
    ///   - provider: Who serves the model.
    ///   - model: The model's name at that provider.
    ///   - version: The model's version or snapshot.
    public init(provider: String, model: String, version: String) {
        self.provider = provider
        self.model = model
        self.version = version
    }

    /// `{"provider": …, "model": …, "version": …}`.
    public var json: JSONValue {
        ["provider": .string(provider), "model": .string(model), "version": .string(version)]
    }

    /// `provider/model@version`.
    public var description: String { "\(provider)/\(model)@\(version)" }
}
