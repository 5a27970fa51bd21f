/// HTML text escaping: every piece of text a page shows goes through ``escape(_:)``.
enum HTML {
    /// `text` safe inside an element or a double- or single-quoted attribute: `& < > " '` as entities.
    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }
}
