/// A small JSON writer for the jail's results, so the `jail` path needs no Foundation.
public struct JSONWriter: Sendable {
    /// The text written so far.
    public private(set) var text = ""
    private var needsComma = false

    /// An empty writer.
    public init() {}

    /// Writes an object whose fields `body` writes.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        text += "{"
        needsComma = false
        body(&self)
        text += "}"
        needsComma = true
    }

    private mutating func key(_ name: String) {
        if needsComma { text += "," }
        JSONWriter.appendQuoted(name, to: &text)
        text += ":"
        needsComma = true
    }

    /// Writes a string field (`null` when nil).
    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONWriter.appendQuoted(value, to: &text) } else { text += "null" }
    }

    /// Writes an integer field (`null` when nil).
    public mutating func field(_ name: String, _ value: Int64?) {
        key(name)
        text += value.map { String($0) } ?? "null"
    }

    /// Writes a number field.
    public mutating func field(_ name: String, _ value: Double) {
        key(name)
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            text += String(Int64(value))
        } else {
            text += value.isFinite ? String(value) : "null"
        }
    }

    /// Writes a boolean field.
    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    /// Writes a field whose value is already JSON.
    public mutating func rawField(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    /// Appends `value` as a JSON string literal.
    public static func appendQuoted(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
