/// A small streaming JSON writer (objects with fields in the order written), so the `jail` path needs no
/// Foundation: the jail's verdict and its doctor report are written with it.
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

    /// Appends `value` as a JSON string literal: the one string escaper of this module (the writer and
    /// `JSONValue`'s `jsonText` and `canonicalText` all use it).
    ///
    /// The escaping is the minimal one RFC 8785 (JCS) prescribes, so canonical text is byte-exact:
    /// `"` and `\` escaped, the control characters U+0008, U+0009, U+000A, U+000C and U+000D as
    /// `\b`, `\t`, `\n`, `\f`, `\r`, the other control characters below U+0020 as `\u00XX` with
    /// lowercase hex, and everything else (U+007F and non-ASCII included) as its own UTF-8.
    public static func appendQuoted(_ value: String, to out: inout String) {
        out += "\""
        // Every byte that needs escaping is ASCII, so runs between them end on scalar boundaries (not
        // always on character boundaries: "\r\n" is one character): copy the runs whole, through the
        // scalar view, so a string without such bytes is appended in one piece.
        let utf8 = value.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                utf8.formIndex(after: &index)
                continue
            }
            out += Substring(value.unicodeScalars[runStart..<index])
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            default:
                out += "\\u00"
                out.unicodeScalars.append(hexDigit(byte >> 4))
                out.unicodeScalars.append(hexDigit(byte & 0xF))
            }
            utf8.formIndex(after: &index)
            runStart = index
        }
        out += Substring(value.unicodeScalars[runStart..<index])
        out += "\""
    }

    /// The lowercase hex digit for `nibble` (0...15).
    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
    }
}
