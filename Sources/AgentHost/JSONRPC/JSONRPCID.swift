import JSON

/// A JSON-RPC 2.0 request id: a string or an integer (MCP forbids `null` and fractions).
public enum JSONRPCID: Sendable, Hashable, CustomStringConvertible {
    /// A string id.
    case string(String)
    /// An integer id.
    case integer(Int64)

    /// The longest string id read (longer ids are refused: the host keeps ids while calls run).
    public static let maximumBytes = 256

    /// The id of a JSON value; nil when it is not a string of at most ``maximumBytes`` or an integral number.
    public init?(json: JSONValue) {
        switch json {
        case .string(let text):
            guard text.utf8.count <= Self.maximumBytes else { return nil }
            self = .string(text)
        case .integer(let value): self = .integer(value)
        case .number(let value):
            guard value.rounded() == value, let exact = Int64(exactly: value) else { return nil }
            self = .integer(exact)
        default: return nil
        }
    }

    /// The id as it goes on the wire.
    public var json: JSONValue {
        switch self {
        case .string(let text): return .string(text)
        case .integer(let value): return .integer(value)
        }
    }

    /// The id as text (`"abc"` or `42`).
    public var description: String {
        switch self {
        case .string(let text): return "\"\(text)\""
        case .integer(let value): return String(value)
        }
    }
}
