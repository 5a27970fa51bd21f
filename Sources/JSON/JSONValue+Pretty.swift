extension JSONValue {
    /// Indented JSON text (two spaces) with sorted keys, for people; ``jsonText`` is the compact form.
    public var prettyText: String { pretty(indent: "") }

    private func pretty(indent: String) -> String {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members) where !members.isEmpty:
            return "{\n"
                + members.keys.sorted().map { key in
                    inner + JSONValue.string(key).jsonText + ": " + members[key]!.pretty(indent: inner)
                }.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return jsonText
        }
    }
}
