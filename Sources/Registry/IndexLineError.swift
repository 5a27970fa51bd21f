/// Why one line of an index file is not a registry entry: the JSON path of the field at fault and what
/// was expected there (`env[1].name: expected an environment variable name ([A-Z_][A-Z0-9_]*), found "x-y"`).
public struct IndexLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the field (`version`, `env[0].name`); empty when the line as a whole is at fault
    /// (not JSON, not an object, too long).
    public var field: String
    /// What was expected and what was found.
    public var message: String

    /// An error at `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or the message alone when no field is at fault.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
