import JSON
/// A schema that cannot be compiled: malformed keywords, an unresolvable `$ref`, a pattern that does
/// not compile or is refused as hostile, or a schema nested too deeply.
public struct SchemaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The stable error code: always `SCHEMA_INVALID` (the wire code in DESIGN.md).
    public let code: String
    /// What is wrong, for a human (`minLength: expected a non-negative integer`).
    public let message: String
    /// Where in the schema document the problem is.
    public let schemaPath: JSONPointer

    /// An error at `schemaPath`.
    ///
    /// - Parameters:
    ///   - message: what is wrong.
    ///   - schemaPath: where in the schema the problem is.
    public init(_ message: String, at schemaPath: JSONPointer = JSONPointer()) {
        self.code = "SCHEMA_INVALID"
        self.message = message
        self.schemaPath = schemaPath
    }

    /// `SCHEMA_INVALID at /properties/a/pattern: …`.
    public var description: String {
        schemaPath.tokens.isEmpty ? "\(code): \(message)" : "\(code) at \(schemaPath): \(message)"
    }
}
