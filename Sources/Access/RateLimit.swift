import JSON

/// How fast one key may call: a token bucket of ``burst`` tokens, refilled at ``requestsPerMinute``
/// tokens a minute (``refillPerSecond`` a second), one token per request by default.
///
/// Configured as JSON, `{"requestsPerMinute": 120, "burst": 60}`: both members required, positive
/// integers within ``maximumRequestsPerMinute`` and ``maximumBurst``, nothing else.
public struct RateLimit: Sendable, Hashable {
    /// The largest `requestsPerMinute` accepted (about 16,667 a second).
    public static let maximumRequestsPerMinute = 1_000_000
    /// The largest `burst` accepted.
    public static let maximumBurst = 100_000

    /// Tokens added per minute, spread evenly (one every `60,000 / requestsPerMinute` ms).
    public let requestsPerMinute: Int
    /// The bucket's capacity: the most requests allowed at once after a quiet period.
    public let burst: Int

    /// The bucket's capacity (the same as ``burst``).
    public var capacity: Int { burst }
    /// Tokens added per second (``requestsPerMinute`` / 60).
    public var refillPerSecond: Double { Double(requestsPerMinute) / 60 }

    /// A limit.
    ///
    /// - Parameters:
    ///   - requestsPerMinute: 1 to ``maximumRequestsPerMinute``.
    ///   - burst: 1 to ``maximumBurst``.
    /// - Throws: `INVALID_INPUT` with ``AccessError/field`` `requestsPerMinute` or `burst` when out of range.
    public init(requestsPerMinute: Int, burst: Int) throws(AccessError) {
        try Self.check(requestsPerMinute, field: "requestsPerMinute", maximum: Self.maximumRequestsPerMinute)
        try Self.check(burst, field: "burst", maximum: Self.maximumBurst)
        self.requestsPerMinute = requestsPerMinute
        self.burst = burst
    }

    /// The limit `json` configures: `{"requestsPerMinute": <int>, "burst": <int>}`.
    ///
    /// - Throws: `INVALID_INPUT` naming the field: the document is not an object (field `rateLimit`), a
    ///   member is missing, not a whole number or out of range, or a member is unknown (its name).
    public init(json: JSONValue) throws(AccessError) {
        guard let object = json.objectValue else {
            throw AccessError(
                .invalidInput, "rateLimit: expected an object like {\"requestsPerMinute\": 120, \"burst\": 60}",
                field: "rateLimit")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "requestsPerMinute" && $0 != "burst" }) {
            throw AccessError(
                .invalidInput, "\(unknown): unknown member (expected requestsPerMinute and burst)", field: unknown)
        }
        try self.init(
            requestsPerMinute: try Self.integer(object["requestsPerMinute"], field: "requestsPerMinute"),
            burst: try Self.integer(object["burst"], field: "burst"))
    }

    /// `{"requestsPerMinute", "burst"}`.
    public var json: JSONValue {
        ["requestsPerMinute": .integer(Int64(requestsPerMinute)), "burst": .integer(Int64(burst))]
    }

    /// The whole number `value` holds (`120` or `120.0`).
    private static func integer(_ value: JSONValue?, field: String) throws(AccessError) -> Int {
        switch value {
        case .integer(let number)? where number >= Int64(Int.min) && number <= Int64(Int.max):
            return Int(number)
        case .number(let number)? where number.rounded() == number && abs(number) < 1e15:
            return Int(number)
        case nil:
            throw AccessError(.invalidInput, "\(field): required", field: field)
        default:
            throw AccessError(
                .invalidInput, "\(field): expected a whole number, got \(value?.typeName ?? "nothing")", field: field)
        }
    }

    /// Refuses `value` outside 1...`maximum`.
    private static func check(_ value: Int, field: String, maximum: Int) throws(AccessError) {
        guard (1...maximum).contains(value) else {
            throw AccessError(
                .invalidInput, "\(field): expected a whole number from 1 to \(maximum), got \(value)", field: field)
        }
    }
}
