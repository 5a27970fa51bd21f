import JSON

/// One JSON-RPC 2.0 message as the host reads it off a transport.
///
/// ``decode(_:maximumBytes:)`` never traps and never reads past the frame: every frame becomes a
/// message or a ``JSONRPCError`` that names what is wrong (with the request id when one could be
/// read, so the error can be answered to it).
public enum JSONRPCMessage: Sendable, Equatable {
    /// A call that expects a response.
    case request(id: JSONRPCID, method: String, params: JSONValue?)
    /// A call that expects none.
    case notification(method: String, params: JSONValue?)
    /// A success response to a request the host sent.
    case response(id: JSONRPCID, result: JSONValue)
    /// An error response to a request the host sent (the id is nil when the peer could not read ours).
    case errorResponse(id: JSONRPCID?, error: JSONRPCError)

    /// The largest frame the host reads (4 MiB): bigger frames are refused unread.
    public static let defaultMaximumBytes = 4 << 20
    /// The deepest nesting the host parses (a document deeper than this is refused, never recursed into).
    public static let maximumDepth = 64
    /// The longest method name the host reads.
    public static let maximumMethodBytes = 256

    /// A refused frame: the error to answer and the id to answer it to (nil: `null`).
    public struct Refusal: Error, Sendable, Equatable {
        /// The error.
        public var error: JSONRPCError
        /// The request id, when the frame was an object with a readable id.
        public var id: JSONRPCID?
    }

    /// Reads one frame.
    ///
    /// - Parameters:
    ///   - bytes: The frame (one line on stdio, one body over HTTP).
    ///   - maximumBytes: Frames longer than this are refused with `-32600` before parsing.
    /// - Returns: The message, or the refusal: `-32700` when it is not JSON, `-32600` when it is not
    ///   a JSON-RPC 2.0 message (wrong `jsonrpc`, an array batch, a bad id or method, params that are
    ///   neither object nor array, a result and an error together, too large or too deep).
    public static func decode(_ bytes: [UInt8], maximumBytes: Int = defaultMaximumBytes) -> Result<Self, Refusal> {
        guard bytes.count <= maximumBytes else {
            return .failure(Refusal(error: .frameTooLarge(bytes: bytes.count, limit: maximumBytes), id: nil))
        }
        var parser = JSONParser()
        parser.maximumDepth = maximumDepth
        parser.maximumBytes = maximumBytes
        let value: JSONValue
        do {
            value = try parser.parse(bytes: bytes)
        } catch {
            return .failure(
                Refusal(
                    error: .withReason(JSONRPCError.parseError, "not_json", "the frame is not JSON: \(error)"), id: nil)
            )
        }
        return classify(value)
    }

    /// Classifies a parsed document (see ``decode(_:maximumBytes:)``).
    public static func classify(_ value: JSONValue) -> Result<Self, Refusal> {
        guard case .object(let members) = value else {
            let what = value.arrayValue != nil ? "batches are not supported" : "a message must be a JSON object"
            return .failure(Refusal(error: .withReason(JSONRPCError.invalidRequest, "not_an_object", what), id: nil))
        }
        var id: JSONRPCID?
        if let rawID = members["id"], rawID != .null {
            guard let parsed = JSONRPCID(json: rawID) else {
                return .failure(
                    invalid(
                        "bad_id", "id must be an integer or a string of at most \(JSONRPCID.maximumBytes) bytes",
                        id: nil))
            }
            id = parsed
        }
        guard members["jsonrpc"] == .string("2.0") else {
            return .failure(invalid("bad_version", "jsonrpc must be \"2.0\"", id: id))
        }
        if let methodValue = members["method"] {
            guard case .string(let method) = methodValue, !method.isEmpty,
                method.utf8.count <= maximumMethodBytes, method.unicodeScalars.allSatisfy({ $0.value >= 0x20 })
            else {
                return .failure(
                    invalid("bad_method", "method must be a non-empty string of printable characters", id: id))
            }
            let params = members["params"]
            if let params, params.objectValue == nil, params.arrayValue == nil {
                return .failure(invalid("bad_params", "params must be an object or an array", id: id))
            }
            if members["result"] != nil || members["error"] != nil {
                return .failure(invalid("mixed_message", "a request carries no result or error", id: id))
            }
            if members.keys.contains("id") && members["id"] == .null {
                return .failure(invalid("bad_id", "a request's id must not be null", id: nil))
            }
            if let id { return .success(.request(id: id, method: method, params: params)) }
            return .success(.notification(method: method, params: params))
        }
        switch (members["result"], members["error"]) {
        case (let result?, nil):
            guard let id else { return .failure(invalid("bad_id", "a response needs the id of its request", id: nil)) }
            return .success(.response(id: id, result: result))
        case (nil, let error?):
            guard case .object(let fields) = error, case .integer(let code)? = fields["code"],
                case .string(let message)? = fields["message"]
            else {
                return .failure(
                    invalid("bad_error", "error must be an object with an integer code and a message", id: id))
            }
            return .success(.errorResponse(id: id, error: JSONRPCError(code, message, data: fields["data"])))
        default:
            return .failure(invalid("not_a_message", "a message needs a method, a result or an error", id: id))
        }
    }

    private static func invalid(_ reason: String, _ message: String, id: JSONRPCID?) -> Refusal {
        Refusal(error: .withReason(JSONRPCError.invalidRequest, reason, message), id: id)
    }

    /// A success response.
    public static func result(_ result: JSONValue, id: JSONRPCID) -> JSONValue {
        ["jsonrpc": "2.0", "id": id.json, "result": result]
    }

    /// A notification frame.
    public static func notificationFrame(_ method: String, _ params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }

    /// A request frame.
    public static func requestFrame(id: JSONRPCID, _ method: String, _ params: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id.json, "method": .string(method), "params": params]
    }
}
