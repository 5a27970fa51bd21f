import JSON
import Logging
import ToolRuntime

/// Which model answers conversations: the provider, the model, where its server is, which vault variable
/// holds its API key, and the limits of a turn.
///
/// As JSON (``init(json:field:)``, ``json``):
/// ```json
/// {"provider": "openai", "model": "gpt-4.1", "baseURL": "https://api.openai.com/v1",
///  "keyVariable": "OPENAI_API_KEY", "maxTokens": 1024, "timeoutSeconds": 300}
/// ```
/// Only `provider` is always required; `model` is required unless the provider is `offline`. A local
/// server that needs no key: `"keyVariable": null`.
public struct ModelConfiguration: Sendable, Hashable {
    /// Who serves the model.
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        /// The built-in offline model: no network, no key (the default).
        case offline
        /// The OpenAI Chat Completions API, or a compatible server (``OpenAIChatModel``).
        case openai
        /// The Anthropic Messages API, or a compatible server (``AnthropicChatModel``).
        case anthropic

        /// The base URL used when none is configured: `https://api.openai.com/v1` (with `/v1`) and
        /// `https://api.anthropic.com` (without); nil for `offline`.
        public var defaultBaseURL: String? {
            switch self {
            case .offline: return nil
            case .openai: return OpenAIChatModel.defaultBaseURL
            case .anthropic: return AnthropicChatModel.defaultBaseURL
            }
        }

        /// The vault variable read for the key when none is configured: `OPENAI_API_KEY`,
        /// `ANTHROPIC_API_KEY`; nil for `offline`.
        public var defaultKeyVariable: String? {
            switch self {
            case .offline: return nil
            case .openai: return "OPENAI_API_KEY"
            case .anthropic: return "ANTHROPIC_API_KEY"
            }
        }
    }

    /// The fields of the JSON form.
    public static let fields = ["provider", "model", "baseURL", "keyVariable", "maxTokens", "timeoutSeconds"]
    /// The default for ``maxTokens``.
    public static let defaultMaxTokens = 1024
    /// The default for ``timeout``: 300 seconds.
    public static let defaultTimeoutSeconds = 300
    /// The longest ``timeout`` allowed: one hour.
    public static let maximumTimeoutSeconds = 3600

    /// Who serves the model.
    public var provider: Provider
    /// The model's name at the provider (`gpt-4.1`, `claude-sonnet-4-5`); `offline` for the offline model.
    public var model: String
    /// Where the model's server is (nil for `offline`); the credential is sent to this host only.
    public var baseURL: ModelServerURL?
    /// The vault variable holding the API key, nil when the server needs none (a local server).
    public var keyVariable: String?
    /// Most tokens a turn may generate (1…1,000,000).
    public var maxTokens: Int
    /// The longest a turn may take, from the request to the end of its stream (1 s…1 h).
    public var timeout: Duration

    /// The offline model: the default.
    public static let offline = ModelConfiguration(
        provider: .offline, model: "offline", baseURL: nil, keyVariable: nil, maxTokens: defaultMaxTokens,
        timeout: .seconds(defaultTimeoutSeconds))

    /// A configuration, as given (not checked: use ``init(json:field:)`` for input from a user).
    ///
    /// - Parameters:
    ///   - provider: Who serves the model.
    ///   - model: The model's name at the provider.
    ///   - baseURL: Where its server is; nil for the provider's default.
    ///   - keyVariable: The vault variable holding the API key; nil for none.
    ///   - maxTokens: Most tokens a turn may generate.
    ///   - timeout: The longest a turn may take.
    public init(
        provider: Provider, model: String, baseURL: ModelServerURL? = nil, keyVariable: String?,
        maxTokens: Int = defaultMaxTokens, timeout: Duration = .seconds(defaultTimeoutSeconds)
    ) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL ?? provider.defaultBaseURL.flatMap { try? ModelServerURL(parsing: $0) }
        self.keyVariable = keyVariable
        self.maxTokens = maxTokens
        self.timeout = timeout
    }

    /// Decodes a configuration, strictly.
    ///
    /// - Parameters:
    ///   - json: The JSON object.
    ///   - field: The name of the object in errors (`model` gives `model.baseURL: …`).
    /// - Throws: `INVALID_INPUT` naming the field: not an object, an unknown field, a missing `provider`
    ///   or `model`, a wrong type, a `baseURL` that is not an http(s) URL, a `keyVariable` that is not an
    ///   environment variable name, `maxTokens` outside 1…1,000,000, `timeoutSeconds` outside 1…3600.
    public init(json: JSONValue, field: String = "model") throws(OmegaError) {
        guard case .object(let members) = json else {
            throw OmegaError(.invalidInput, "\(field): expected an object, got \(json.typeName)")
        }
        for key in members.keys.sorted() where !Self.fields.contains(key) {
            throw OmegaError(
                .invalidInput,
                "\(field).\(key.prefix(60)): unknown field; expected one of \(Self.fields.joined(separator: ", "))")
        }
        guard let providerName = members["provider"] else {
            throw OmegaError(
                .invalidInput, "\(field).provider: required (one of \(Self.providerNames))")
        }
        guard let provider = providerName.stringValue.flatMap(Provider.init(rawValue:)) else {
            throw OmegaError(
                .invalidInput,
                "\(field).provider: expected one of \(Self.providerNames), got \(Self.quoted(providerName))")
        }
        let model: String
        switch members["model"] {
        case nil where provider == .offline:
            model = "offline"
        case nil:
            throw OmegaError(.invalidInput, "\(field).model: required for provider \(provider.rawValue)")
        case .string(let name)?
        where !name.isEmpty && name.count <= 256 && !name.contains(where: { $0.isNewline || $0 == "\u{0}" }):
            model = name
        case let value?:
            throw OmegaError(
                .invalidInput,
                "\(field).model: expected the model's name (1 to 256 characters), got \(Self.quoted(value))")
        }
        var baseURL = provider.defaultBaseURL.flatMap { try? ModelServerURL(parsing: $0) }
        if let value = members["baseURL"] {
            guard case .string(let text) = value else {
                throw OmegaError(
                    .invalidInput, "\(field).baseURL: expected an http(s) URL, got \(Self.quoted(value))")
            }
            baseURL = try ModelServerURL(parsing: text, field: "\(field).baseURL")
        }
        var keyVariable = provider.defaultKeyVariable
        switch members["keyVariable"] {
        case nil: break
        case .null?: keyVariable = nil
        case .string(let name)? where Self.isValidVariableName(name): keyVariable = name
        case let value?:
            throw OmegaError(
                .invalidInput,
                "\(field).keyVariable: expected an environment variable name ([A-Z_][A-Z0-9_]*) or null, got \(Self.quoted(value))"
            )
        }
        let maxTokens = try Self.integer(
            members["maxTokens"], "\(field).maxTokens", in: 1...ChatRequest.maximumMaxTokens,
            default: Self.defaultMaxTokens)
        let timeoutSeconds = try Self.integer(
            members["timeoutSeconds"], "\(field).timeoutSeconds", in: 1...Self.maximumTimeoutSeconds,
            default: Self.defaultTimeoutSeconds)
        self.init(
            provider: provider, model: model, baseURL: baseURL, keyVariable: keyVariable, maxTokens: maxTokens,
            timeout: .seconds(timeoutSeconds))
    }

    /// The JSON form (every field written; ``init(json:field:)`` reads it back to an equal value).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "provider": .string(provider.rawValue), "model": .string(model),
            "keyVariable": keyVariable.map(JSONValue.string) ?? .null,
            "maxTokens": .integer(Int64(maxTokens)), "timeoutSeconds": .integer(timeout.components.seconds),
        ]
        if let baseURL { members["baseURL"] = .string(baseURL.description) }
        return .object(members)
    }

    /// The model's adapter: an ``OpenAIChatModel`` or an ``AnthropicChatModel`` at ``baseURL``, with
    /// ``timeout``; nil for `offline` (the conversations API uses its built-in model).
    ///
    /// - Parameter logger: Where the adapter logs (never the credential).
    /// - Returns: The adapter, or nil.
    public func makeChatModel(logger: Logger = Logger(label: "omega.model")) -> (any ChatModel)? {
        switch provider {
        case .offline:
            return nil
        case .openai:
            guard let baseURL else { return nil }
            return OpenAIChatModel(model: model, baseURL: baseURL, timeout: timeout, logger: logger)
        case .anthropic:
            guard let baseURL else { return nil }
            return AnthropicChatModel(model: model, baseURL: baseURL, timeout: timeout, logger: logger)
        }
    }

    /// Whether `name` is an environment variable name: `[A-Z_][A-Z0-9_]*`, at most 128 characters.
    public static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 128,
            first < UInt8(ascii: "0") || first > UInt8(ascii: "9")
        else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// `offline, openai, anthropic`.
    private static var providerNames: String { Provider.allCases.map(\.rawValue).joined(separator: ", ") }

    /// A value as an error quotes it: its JSON text, at most 60 characters.
    private static func quoted(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count > 60 ? String(text.prefix(60)) + "…" : text
    }

    /// An optional integer field within `range`.
    private static func integer(_ value: JSONValue?, _ field: String, in range: ClosedRange<Int>, default: Int)
        throws(OmegaError) -> Int
    {
        guard let value else { return `default` }
        let number: Int?
        switch value {
        case .integer(let integer): number = Int(exactly: integer)
        case .number(let double) where double.rounded() == double && abs(double) < 1e15: number = Int(double)
        default: number = nil
        }
        guard let number, range.contains(number) else {
            throw OmegaError(
                .invalidInput,
                "\(field): expected an integer from \(range.lowerBound) to \(range.upperBound), got \(quoted(value))")
        }
        return number
    }
}
