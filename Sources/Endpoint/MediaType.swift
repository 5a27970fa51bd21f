/// The little content negotiation the endpoint does: a `Content-Type`'s media type and whether an
/// `Accept` header allows a type (RFC 9110 §12.5.1: the most specific matching range decides, and
/// `q=0` refuses).
enum MediaType {
    /// `type/subtype` of a `Content-Type` value, lowercased, without parameters (`charset=…`).
    static func essence(of value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingSpaces().lowercased()
    }

    /// Whether `accept` allows `type` (`application/json`); an absent or empty header allows everything.
    static func accepts(_ accept: String?, _ type: String) -> Bool {
        guard let accept, !accept.trimmingSpaces().isEmpty else { return true }
        let wanted = type.lowercased()
        let major = wanted.split(separator: "/").first.map(String.init) ?? wanted
        var best: (specificity: Int, quality: Double)?
        for item in accept.split(separator: ",") {
            var parts = item.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard !parts.isEmpty else { continue }
            let range = parts.removeFirst()
            let specificity: Int
            if range == wanted {
                specificity = 3
            } else if range == major + "/*" {
                specificity = 2
            } else if range == "*/*" {
                specificity = 1
            } else {
                continue
            }
            var quality = 1.0
            for parameter in parts where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 1.0
            }
            if best == nil || specificity > best!.specificity
                || (specificity == best!.specificity && quality > best!.quality)
            {
                best = (specificity, quality)
            }
        }
        return (best?.quality ?? 0) > 0
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
