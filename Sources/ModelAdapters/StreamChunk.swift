import JSON
import ToolRuntime

/// One streamed chunk of a model's answer, parsed, with typed access to its fields that fails with
/// `INTERNAL_ERROR` naming the field and quoting the start of the chunk (at most 100 characters,
/// redacted of the credential).
struct StreamChunk {
    /// The parsed chunk (an object).
    let value: JSONValue
    /// The chunk as received, for quoting.
    let text: String
    /// The credential, redacted from quotes.
    let secret: String?

    /// Parses a chunk's `data:`.
    ///
    /// - Parameters:
    ///   - text: The event's data.
    ///   - secret: The credential, when one was sent.
    /// - Throws: `INTERNAL_ERROR` when it is not a JSON object.
    init(parsing text: String, secret: String?) throws(OmegaError) {
        self.text = text
        self.secret = secret
        do {
            value = try JSONParser().parse(text)
        } catch {
            throw OmegaError(
                .internalError,
                "the model's stream sent a chunk that is not JSON (\(error.message)): \(ModelTransport.excerpt(text, redacting: secret))"
            )
        }
        guard case .object = value else {
            throw OmegaError(
                .internalError,
                "the model's stream sent a chunk that is not a JSON object: \(ModelTransport.excerpt(text, redacting: secret))"
            )
        }
    }

    /// The error for a chunk whose `field` is not what was expected.
    ///
    /// - Parameters:
    ///   - field: The field's path in the chunk (`choices[0].delta.content`).
    ///   - expected: What it should have been (`a string`).
    func malformed(_ field: String, expected: String) -> OmegaError {
        OmegaError(
            .internalError,
            "the model's stream sent a malformed chunk (\(field): expected \(expected)): \(ModelTransport.excerpt(text, redacting: secret))"
        )
    }

    /// A string field: nil when absent or `null`.
    func string(_ value: JSONValue?, _ field: String) throws(OmegaError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw malformed(field, expected: "a string")
        }
    }

    /// A non-negative integer field: nil when absent or `null`.
    func integer(_ value: JSONValue?, _ field: String) throws(OmegaError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .integer(let number)? where number >= 0 && number <= Int64(Int32.max): return Int(number)
        case .number(let number)? where number >= 0 && number <= Double(Int32.max) && number.rounded() == number:
            return Int(number)
        default: throw malformed(field, expected: "a non-negative integer")
        }
    }

    /// An object field: nil when absent or `null`.
    func object(_ value: JSONValue?, _ field: String) throws(OmegaError) -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let members)?: return members
        default: throw malformed(field, expected: "an object")
        }
    }

    /// An array field: nil when absent or `null`.
    func array(_ value: JSONValue?, _ field: String) throws(OmegaError) -> [JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .array(let elements)?: return elements
        default: throw malformed(field, expected: "an array")
        }
    }

    /// The arguments of a finished tool call: its accumulated JSON text parsed as an object (empty text
    /// is `{}`, a call without arguments).
    ///
    /// - Parameters:
    ///   - text: The accumulated arguments.
    ///   - id: The call's id, named by the error.
    ///   - name: The tool's name, named by the error.
    ///   - secret: The credential, redacted from the quote.
    /// - Throws: `INTERNAL_ERROR` naming the call when the text is not a JSON object.
    static func toolArguments(_ text: String, id: String, name: String, secret: String?) throws(OmegaError)
        -> JSONValue
    {
        if text.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return [:] }
        let problem: String
        do {
            let value = try JSONParser().parse(text)
            if case .object = value { return value }
            problem = "a JSON \(value.typeName), not an object"
        } catch {
            problem = "not JSON (\(error.message))"
        }
        let id = ModelTransport.excerpt(id, redacting: secret)
        let name = ModelTransport.excerpt(name, redacting: secret)
        throw OmegaError(
            .internalError,
            "the model's tool call \(id) of \"\(name)\" has arguments that are \(problem): \(ModelTransport.excerpt(text, redacting: secret))",
            details: ["toolCallID": .string(id), "tool": .string(name)])
    }
}
