extension OmegaError {
    /// `text` as an error message may quote what a caller sent: control characters (line breaks, escapes,
    /// DEL) removed and at most `limit` characters kept, so a quoted value can neither forge a log or
    /// header line nor swell a response.
    public static func shown(_ text: some StringProtocol, limit: Int = 64) -> String {
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: text.unicodeScalars.lazy.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(limit))
        return String(kept)
    }
}
