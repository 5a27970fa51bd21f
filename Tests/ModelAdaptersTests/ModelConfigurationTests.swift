import JSON
import Testing
import ToolRuntime

@testable import ModelAdapters

/// The model configuration: strict decoding with errors naming the field, provider defaults, the JSON
/// round trip, and the adapter it makes.
@Suite struct ModelConfigurationTests {
    func parse(_ text: String) throws -> ModelConfiguration {
        try ModelConfiguration(json: try JSONParser().parse(text))
    }

    func error(_ text: String) throws -> OmegaError {
        do {
            _ = try ModelConfiguration(json: try JSONParser().parse(text))
        } catch let error as OmegaError {
            return error
        }
        Issue.record("expected \(text) to be refused")
        return OmegaError(.internalError, "not refused")
    }

    @Test func providersGetTheirDefaults() throws {
        let openAI = try parse(#"{"provider": "openai", "model": "gpt-4.1"}"#)
        #expect(openAI.baseURL?.description == "https://api.openai.com/v1")
        #expect(openAI.keyVariable == "OPENAI_API_KEY")
        #expect(openAI.maxTokens == 1024 && openAI.timeout == .seconds(300))

        let anthropic = try parse(#"{"provider": "anthropic", "model": "claude-sonnet-4-5"}"#)
        #expect(anthropic.baseURL?.description == "https://api.anthropic.com")
        #expect(anthropic.keyVariable == "ANTHROPIC_API_KEY")

        let offline = try parse(#"{"provider": "offline"}"#)
        #expect(offline == .offline && offline.baseURL == nil && offline.keyVariable == nil)
    }

    @Test func aLocalServerNeedsNoKeyAndKeepsItsSettings() throws {
        let local = try parse(
            #"{"provider": "openai", "model": "qwen", "baseURL": "http://127.0.0.1:8080/v1/", "keyVariable": null, "maxTokens": 200, "timeoutSeconds": 30}"#
        )
        #expect(local.keyVariable == nil)
        #expect(local.baseURL?.description == "http://127.0.0.1:8080/v1")
        #expect(local.baseURL?.hostAndPort == "127.0.0.1:8080")
        #expect(local.maxTokens == 200 && local.timeout == .seconds(30))
        let custom = try parse(#"{"provider": "anthropic", "model": "c", "keyVariable": "MY_CLAUDE_KEY"}"#)
        #expect(custom.keyVariable == "MY_CLAUDE_KEY")
    }

    @Test func theJSONFormRoundTrips() throws {
        for text in [
            #"{"provider": "openai", "model": "qwen", "baseURL": "http://[::1]:8080/v1", "keyVariable": null}"#,
            #"{"provider": "anthropic", "model": "claude", "maxTokens": 4096, "timeoutSeconds": 60}"#,
            #"{"provider": "offline"}"#,
        ] {
            let configuration = try parse(text)
            #expect(try ModelConfiguration(json: configuration.json) == configuration)
        }
    }

    @Test func badFieldsAreRefusedNamingThem() throws {
        let cases: [(String, String)] = [
            (#"[]"#, "model: expected an object"),
            (#"{"provider": "openai", "model": "m", "temperature": 1}"#, "model.temperature: unknown field"),
            (#"{"model": "m"}"#, "model.provider: required"),
            (#"{"provider": "mistral", "model": "m"}"#, "model.provider: expected one of offline, openai, anthropic"),
            (#"{"provider": "openai"}"#, "model.model: required for provider openai"),
            (#"{"provider": "openai", "model": ""}"#, "model.model: expected the model's name"),
            (
                #"{"provider": "openai", "model": "m", "baseURL": "ftp://x/v1"}"#,
                "model.baseURL: expected an http(s) URL"
            ),
            (
                #"{"provider": "openai", "model": "m", "baseURL": "https://user:pw@x/v1"}"#,
                "model.baseURL: expected an http(s) URL"
            ),
            (
                #"{"provider": "openai", "model": "m", "baseURL": "https://x/v1?q=1"}"#,
                "model.baseURL: expected an http(s) URL"
            ),
            (
                #"{"provider": "openai", "model": "m", "baseURL": "http://x:99999"}"#,
                "model.baseURL: expected an http(s) URL"
            ),
            (#"{"provider": "openai", "model": "m", "baseURL": "https://"}"#, "model.baseURL: expected an http(s) URL"),
            (#"{"provider": "openai", "model": "m", "baseURL": 5}"#, "model.baseURL: expected an http(s) URL"),
            (
                #"{"provider": "openai", "model": "m", "keyVariable": "openai-key"}"#,
                "model.keyVariable: expected an environment variable name"
            ),
            (
                #"{"provider": "openai", "model": "m", "maxTokens": 0}"#,
                "model.maxTokens: expected an integer from 1 to 1000000"
            ),
            (#"{"provider": "openai", "model": "m", "maxTokens": "many"}"#, "model.maxTokens: expected an integer"),
            (
                #"{"provider": "openai", "model": "m", "timeoutSeconds": 7200}"#,
                "model.timeoutSeconds: expected an integer from 1 to 3600"
            ),
        ]
        for (text, prefix) in cases {
            let refused = try error(text)
            #expect(refused.code == .invalidInput, "\(text)")
            #expect(refused.message.hasPrefix(prefix), "\(text) gave: \(refused.message)")
        }
    }

    @Test func theFactoryMakesTheAdapterOfTheProvider() throws {
        #expect(ModelConfiguration.offline.makeChatModel() == nil)
        let openAI = try #require(
            try parse(#"{"provider": "openai", "model": "gpt-4.1", "baseURL": "http://127.0.0.1:9/v1"}"#)
                .makeChatModel() as? OpenAIChatModel)
        #expect(openAI.identity.provider == "openai" && openAI.identity.model == "gpt-4.1")
        #expect(openAI.baseURL.description == "http://127.0.0.1:9/v1")
        let anthropic = try #require(
            try parse(#"{"provider": "anthropic", "model": "claude-sonnet-4-5", "timeoutSeconds": 10}"#).makeChatModel()
                as? AnthropicChatModel)
        #expect(
            anthropic.identity.provider == "anthropic" && anthropic.baseURL.description == "https://api.anthropic.com")
        #expect(anthropic.transport.timeout == .seconds(10))
    }
}
