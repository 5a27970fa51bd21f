extension JSONValue {
    /// Compact JSON text (object keys sorted, so the text is stable).
    public var jsonText: String {
        var out = ""
        write(to: &out, canonical: false)
        return out
    }

    /// The RFC 8785 (JCS) canonical form: keys sorted by UTF-16 code units, no whitespace, numbers
    /// in their shortest round-trip form, integral doubles without a fraction. Digests (package
    /// signatures, approvals bound to an input) are taken over these bytes.
    public var canonicalText: String {
        var out = ""
        write(to: &out, canonical: true)
        return out
    }

    private func write(to out: inout String, canonical: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let d): out += JSONValue.format(d)
        case .string(let s): JSONWriter.appendQuoted(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out, canonical: canonical)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let keys =
                canonical
                ? members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
                : members.keys.sorted()
            for (i, key) in keys.enumerated() {
                if i > 0 { out += "," }
                JSONWriter.appendQuoted(key, to: &out)
                out += ":"
                members[key]!.write(to: &out, canonical: canonical)
            }
            out += "}"
        }
    }

    /// ECMAScript-style number text: integral values without a fraction, others shortest round-trip.
    static func format(_ d: Double) -> String {
        if d == 0 { return "0" }
        if d.rounded() == d, abs(d) < 1e21 {
            if abs(d) < 9.007_199_254_740_992e15 { return String(Int64(d)) }
        }
        var text = "\(d)"
        // Swift prints 1e+21 as "1e+21" and 1.5e-07 as "1.5e-07"; ECMAScript drops the exponent's zero padding.
        if let e = text.firstIndex(of: "e") {
            var mantissa = String(text[..<e])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            var exponent = String(text[text.index(after: e)...])
            let sign = exponent.first == "-" ? "-" : "+"
            exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
            text = mantissa + "e" + sign + (exponent.isEmpty ? "0" : exponent)
        }
        return text
    }
}
