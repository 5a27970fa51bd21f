import JSON
/// One reason an instance does not satisfy a schema.
public struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    /// Where in the instance the failing value is (`/command/0`).
    public let instancePath: JSONPointer
    /// The failing keyword's location in the schema document (`/properties/command/type`). It is the
    /// keyword's place in the document that holds it (after `$ref`s are followed), so it always
    /// designates a real keyword; for a keyword in a remote document it is relative to that document.
    public let schemaPath: JSONPointer
    /// A readable message (`expected an array, got a string`).
    public let message: String

    /// An error.
    ///
    /// - Parameters:
    ///   - instancePath: where in the instance.
    ///   - schemaPath: the failing keyword in the schema.
    ///   - message: what was expected.
    public init(instancePath: JSONPointer, schemaPath: JSONPointer, message: String) {
        self.instancePath = instancePath
        self.schemaPath = schemaPath
        self.message = message
    }

    /// `/command: expected an array, got a string (schema /properties/command/type)`; the root
    /// instance is written as an empty path.
    public var description: String { "\(instancePath): \(message) (schema \(schemaPath))" }
}

/// The outcome of one validation: valid when there are no errors.
public struct ValidationResult: Sendable {
    /// The errors, ordered by instance path then schema path; empty when the instance is valid.
    /// At most ``SchemaOptions/maximumErrors`` are kept.
    public let errors: [ValidationError]
    /// True when the instance satisfies the schema.
    public var isValid: Bool { errors.isEmpty }

    /// A result holding `errors`.
    ///
    /// - Parameter errors: the errors found (none for a valid instance).
    public init(errors: [ValidationError]) { self.errors = errors }
}
