/// A line of an index file that was skipped, and why.
public struct IndexProblem: Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line number in the (decompressed) file.
    public var line: Int
    /// The JSON path of the field at fault; empty when the whole line is (not JSON, too long).
    public var field: String
    /// What was expected and what was found.
    public var message: String

    /// A problem at `line`.
    public init(line: Int, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    /// `line 12: env[0].name: expected …`.
    public var description: String { field.isEmpty ? "line \(line): \(message)" : "line \(line): \(field): \(message)" }
}
