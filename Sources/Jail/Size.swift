/// Sizes as people write them: `512`, `64K`, `128M`, `1G` (binary multiples; an optional `B`/`iB`).
public enum Size {
    /// Parses a size; the error names `field` and the expected form.
    public static func parse(_ text: String, field: String) throws(JailError) -> UInt64 {
        var digits = Substring(text.uppercased())
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits = digits.dropLast(suffix.count)
            break
        }
        var shift: UInt64 = 0
        if let last = digits.last, let index = "KMGT".firstIndex(of: last) {
            shift = UInt64(("KMGT".distance(from: "KMGT".startIndex, to: index) + 1) * 10)
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, let value = UInt64(digits), value <= (UInt64.max >> shift) else {
            throw .invalid(field, "expected a size like 512K, 128M or 1G, got '\(text)'")
        }
        return value << shift
    }
}
