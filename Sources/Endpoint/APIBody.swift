import Hummingbird
import JSON
import ToolRuntime

/// The JSON object body of an `/api` request: at most ``maximumBytes`` (else `PAYLOAD_TOO_LARGE`, 413,
/// without buffering the rest), `Content-Type: application/json` when there is a body, a JSON object
/// whose members are all ones the route knows (an unknown field is `INVALID_INPUT` naming it).
enum APIBody {
    /// Largest body accepted.
    static let maximumBytes = 1 << 20

    /// The body's members; an empty body is `{}`.
    static func object(_ request: Request, allowed: Set<String>) async -> Result<[String: JSONValue], OmegaError> {
        let bytes: [UInt8]
        do {
            switch try await BoundedBody.read(request, limit: maximumBytes) {
            case .complete(let body): bytes = body
            case .tooLarge(let seen):
                return .failure(
                    OmegaError(
                        .payloadTooLarge, "the request body is \(seen) bytes or more; the limit is \(maximumBytes)",
                        details: ["limit": .integer(Int64(maximumBytes))]))
            }
        } catch {
            return .failure(OmegaError(.invalidInput, "the request body ended early", details: ["field": "body"]))
        }
        if bytes.isEmpty { return .success([:]) }
        if let type = request.headers[.contentType], MediaType.essence(of: type) != "application/json" {
            return .failure(
                OmegaError(.invalidInput, "Content-Type must be application/json", details: ["field": "Content-Type"]))
        }
        var parser = JSONParser()
        parser.maximumDepth = 64
        let value: JSONValue
        do {
            value = try parser.parse(bytes: bytes)
        } catch {
            return .failure(
                OmegaError(.invalidInput, "the body is not JSON: \(error.description)", details: ["field": "body"]))
        }
        guard case .object(let members) = value else {
            return .failure(OmegaError(.invalidInput, "the body must be a JSON object", details: ["field": "body"]))
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            let shown = OmegaError.shown(unknown)
            return .failure(
                OmegaError(
                    .invalidInput,
                    "unknown field \"\(shown)\" (expected: \(allowed.sorted().joined(separator: ", ")))",
                    details: ["field": .string(shown)]))
        }
        return .success(members)
    }

    /// `members[field]` as a string, nil when absent or null; `INVALID_INPUT` naming it otherwise.
    static func string(_ members: [String: JSONValue], _ field: String) -> Result<String?, OmegaError> {
        switch members[field] {
        case nil, .null?: return .success(nil)
        case .string(let text)?: return .success(text)
        default:
            return .failure(
                OmegaError(.invalidInput, "\(field): expected a string", details: ["field": .string(field)]))
        }
    }

    /// `members[field]` as an integer in `range`, nil when absent or null.
    static func integer(_ members: [String: JSONValue], _ field: String, in range: ClosedRange<Int>)
        -> Result<Int?, OmegaError>
    {
        switch members[field] {
        case nil, .null?: return .success(nil)
        case .integer(let value)? where range.contains(Int(clamping: value)): return .success(Int(value))
        case .number(let value)? where Int(exactly: value).map(range.contains) == true: return .success(Int(value))
        default:
            return .failure(
                OmegaError(
                    .invalidInput, "\(field): expected an integer from \(range.lowerBound) to \(range.upperBound)",
                    details: ["field": .string(field)]))
        }
    }

    /// `members[field]` as an object of strings (`env`, `values`), empty when absent.
    static func strings(_ members: [String: JSONValue], _ field: String) -> Result<[String: String], OmegaError> {
        guard let value = members[field], value != .null else { return .success([:]) }
        guard case .object(let object) = value else {
            return .failure(
                OmegaError(.invalidInput, "\(field): expected an object of strings", details: ["field": .string(field)])
            )
        }
        var result: [String: String] = [:]
        for (name, item) in object {
            guard case .string(let text) = item else {
                let shown = OmegaError.shown(name)
                return .failure(
                    OmegaError(
                        .invalidInput, "\(field).\(shown): expected a string",
                        details: ["field": .string("\(field).\(shown)")]))
            }
            result[name] = text
        }
        return .success(result)
    }
}

extension Result where Failure == OmegaError {
    /// The value, or the error thrown (for `do` blocks that render one error response).
    func get() throws(OmegaError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw error
        }
    }
}
