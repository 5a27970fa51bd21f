import EgressProxy
import JSON

extension EgressConnectionRecord {
    /// The `egress.connection` event's data (DESIGN §11): every field, `address` and `addressRefusal`
    /// null when absent.
    public var json: JSONValue {
        [
            "method": .string(method), "host": .string(host), "port": .integer(Int64(port)),
            "address": address.map(JSONValue.string) ?? .null, "verdict": .string(verdict), "reason": .string(reason),
            "addressRefusal": addressRefusal.map(JSONValue.string) ?? .null,
            "bytesUp": .integer(Int64(clamping: bytesUp)), "bytesDown": .integer(Int64(clamping: bytesDown)),
            "durationMs": .integer(durationMs),
        ]
    }
}
