import JSON
import Schema

/// Fills a tool's input object from a request, as far as the tool's input schema allows, and lists
/// what it requires that the request did not give.
///
/// Only top-level properties are filled, each from one thing the request names, in this order
/// (what one pass takes, a later pass does not take again):
/// 1. **E-mail addresses** into string properties that are e-mail addresses (`format: email`, or a
///    name or description that says so): required properties first, in the request's order.
/// 2. **Links** into string properties that are URLs (`format: uri`, …, or a name such as `url`,
///    `link`, `endpoint`, or a description that says URL), likewise.
/// 3. **Enum values** mentioned verbatim (case aside, as a word or as a quoted text): a required
///    property takes the first value mentioned; an optional one only when the request also names the
///    property (`in markdown format`).
/// 4. **Numbers** into integer and number properties: first a number whose neighbouring words (two
///    either side) name the property (`top 5 words` → `topWords`, the property sharing the most words
///    winning), then the first unused number into each required one.
/// 5. **Quoted text** into string properties: first a quote preceded (within two words) by the
///    property's name, then each remaining quote, in order, into the required ones.
/// 6. **Free text**, when exactly one required string property is still empty: the content after the
///    instruction (`Count the words: …`, or after a line break) whatever the property's name; without
///    such content, the whole request (less what earlier passes took) only for a property that asks
///    for a query or a question (`query`, `q`, `question`, `prompt`, `topic`, …): the words of an
///    instruction are not the text to work on, and the host asks rather than guesses.
///
/// Every value is then checked by the schema validator (``JSONSchema``): a value the schema refuses
/// is dropped, and a required one is listed as missing with the validator's message. Booleans,
/// arrays and objects are never guessed.
struct InputFiller {
    /// What the filler made of one schema and one request.
    struct Result {
        /// The filled properties; each passed the schema.
        var input: [String: JSONValue]
        /// Whether ``input`` as a whole validates against the schema.
        var valid: Bool
        /// The required properties still empty, in the schema's `required` order.
        var missing: [MissingInput]
        /// When ``input`` does not validate: the validator's first error (`/a: …`, or the message alone
        /// at the root).
        var problem: String?
    }

    /// What kind of value a property takes, as far as filling goes.
    enum Kind: Equatable {
        case email, url, choice, numeric, text, other
    }

    /// One top-level property of the input schema.
    struct Property {
        let name: String
        let required: Bool
        /// The JSON types it takes (from `type`, else from its `enum` or `const`); empty for any.
        let types: [String]
        /// Its `enum` values (or its `const`), when listed.
        let allowed: [JSONValue]?
        let description: String
        /// The normalized words of its name (`topWords` → top, word).
        let nameWords: Set<String>
        let kind: Kind

        /// `string`, `integer|null`, or `any`.
        var typeName: String { types.isEmpty ? "any" : types.joined(separator: "|") }
    }

    /// Names that ask for a query or a question: the whole request may fill them.
    static let queryNames: Set<String> = [
        "query", "q", "question", "prompt", "search", "topic", "keyword", "term", "instruction", "task", "request",
        "goal",
    ]
    static let emailFormats: Set<String> = ["email", "idn-email"]
    static let urlFormats: Set<String> = ["uri", "url", "iri", "uri-reference", "iri-reference"]
    static let emailNames: Set<String> = ["email", "mail", "recipient"]
    static let urlNames: Set<String> = ["url", "uri", "link", "href", "endpoint", "website", "homepage", "webhook"]

    let schema: JSONValue?
    let request: RequestText

    /// The properties of the schema: the required ones in `required` order, then the others by name.
    func properties() -> [Property] {
        guard let schema, case .object(let root) = schema else { return [] }
        let declared = root["properties"]?.objectValue ?? [:]
        var required: [String] = []
        for case .string(let name) in root["required"]?.arrayValue ?? [] where !required.contains(name) {
            required.append(name)
        }
        let optional = declared.keys.filter { !required.contains($0) }.sorted()
        return required.map { property($0, declared[$0], required: true, root: schema) }
            + optional.map { property($0, declared[$0], required: false, root: schema) }
    }

    private func property(_ name: String, _ raw: JSONValue?, required: Bool, root: JSONValue) -> Property {
        var schema = raw ?? .bool(true)
        // Local references (`#/$defs/…`), a few levels deep.
        for _ in 0..<8 {
            guard let reference = schema["$ref"]?.stringValue, reference.hasPrefix("#"),
                let pointer = JSONPointer(parsing: String(reference.dropFirst())),
                let target = pointer.resolve(in: root)
            else { break }
            schema = target
        }
        var allowed = schema["enum"]?.arrayValue
        if allowed == nil, let constant = schema["const"] { allowed = [constant] }
        var types: [String] = []
        switch schema["type"] {
        case .string(let type)?: types = [type]
        case .array(let list)?: types = list.compactMap(\.stringValue)
        default:
            if let allowed {
                for value in allowed where !types.contains(value.typeName) { types.append(value.typeName) }
            }
        }
        let description = schema["description"]?.stringValue ?? ""
        let nameWords = Set(Vocabulary.words(name))
        let descriptionWords = Set(Vocabulary.words(description))
        let format = schema["format"]?.stringValue?.lowercased()
        let kind: Kind
        if let allowed, allowed.contains(where: { $0.stringValue != nil }) {
            kind = .choice
        } else if types.contains("string") {
            if let format, Self.emailFormats.contains(format) {
                kind = .email
            } else if let format, Self.urlFormats.contains(format) {
                kind = .url
            } else if !nameWords.isDisjoint(with: Self.emailNames) || descriptionWords.contains("email") {
                kind = .email
            } else if !nameWords.isDisjoint(with: Self.urlNames) || descriptionWords.contains("url") {
                kind = .url
            } else {
                kind = .text
            }
        } else if types.contains("integer") || types.contains("number") {
            kind = .numeric
        } else {
            kind = .other
        }
        return Property(
            name: name, required: required, types: types, allowed: allowed, description: description,
            nameWords: nameWords, kind: kind)
    }

    /// Fills, validates, and lists what is missing.
    func fill() -> Result {
        var state = State(request: request)
        let properties = properties()
        state.assignTokens(.email, to: properties.filter { $0.kind == .email })
        state.assignTokens(.url, to: properties.filter { $0.kind == .url })
        for property in properties where property.kind == .choice { state.choose(property) }
        state.assignNumbers(to: properties.filter { $0.kind == .numeric })
        state.assignQuotes(to: properties.filter { $0.kind == .text })
        let emptyText = properties.filter { $0.kind == .text && $0.required && state.input[$0.name] == nil }
        if emptyText.count == 1, let property = emptyText.first,
            let free = request.remainingText(excluding: state.consumed),
            free.isContent || !property.nameWords.isDisjoint(with: Self.queryNames)
        {
            state.input[property.name] = .string(free.text)
        }
        return validate(state.input, properties: properties)
    }

    /// Drops every filled value the schema refuses (keeping the message), then lists the missing.
    private func validate(_ filled: [String: JSONValue], properties: [Property]) -> Result {
        var input = filled
        var problems: [String: String] = [:]
        var valid = true
        var problem: String?
        if let schema, let compiled = try? SchemaCache.shared.schema(for: schema) {
            for _ in 0...filled.count {
                let errors = compiled.validate(.object(input)).errors
                var refused = false
                for error in errors {
                    guard let name = error.instancePath.tokens.first, input[name] != nil else { continue }
                    if problems[name] == nil { problems[name] = error.message }
                    input.removeValue(forKey: name)
                    refused = true
                }
                if !refused { break }
            }
            if let first = compiled.validate(.object(input)).errors.first {
                valid = false
                let path = first.instancePath.description
                problem = path.isEmpty ? first.message : "\(path): \(first.message)"
            }
        } else if let schema, schema != .bool(true), schema != .object([:]) {
            // A schema that does not compile: nothing can be trusted to pass it.
            input = [:]
            valid = false
            problem = "the tool's input schema does not compile"
        }
        let missing = properties.filter { $0.required && input[$0.name] == nil }.map {
            MissingInput(
                name: $0.name, description: $0.description, type: $0.typeName, allowed: $0.allowed,
                problem: problems[$0.name].map { "the request's value was refused: \($0)" })
        }
        return Result(input: input, valid: valid, missing: missing, problem: problem)
    }
}

extension InputFiller {
    /// What the passes have filled and taken so far.
    fileprivate struct State {
        let request: RequestText
        var input: [String: JSONValue] = [:]
        var usedTokens = Set<Int>()
        var usedQuotes = Set<Int>()
        /// The parts of the request taken (left out of the free text).
        var consumed: [Range<String.Index>] = []

        init(request: RequestText) { self.request = request }

        mutating func take(token: RequestText.Token) {
            usedTokens.insert(token.position)
            consumed.append(token.range)
        }

        mutating func take(quote index: Int) {
            usedQuotes.insert(index)
            consumed.append(request.quotes[index].range)
        }

        /// Tokens of `kind` into `properties` (required first), in the request's order.
        mutating func assignTokens(_ kind: RequestText.Kind, to properties: [Property]) {
            var available = request.tokens.filter { $0.kind == kind && !usedTokens.contains($0.position) }[...]
            for property in properties where input[property.name] == nil {
                guard let token = available.popFirst() else { return }
                input[property.name] = .string(token.text)
                take(token: token)
            }
        }

        /// The normalized words among the tokens at `positions`.
        func words(at positions: ClosedRange<Int>) -> Set<String> {
            Set(
                request.tokens.filter { $0.kind == .word && positions.contains($0.position) }.map {
                    Vocabulary.normalized($0.lowered)
                })
        }

        /// The empty property whose name shares the most words with `words` (at least one); on a tie
        /// the first in `properties`' order.
        func named(in words: Set<String>, among properties: [Property]) -> Property? {
            var best: (property: Property, shared: Int)?
            for property in properties where input[property.name] == nil {
                let shared = property.nameWords.intersection(words).count
                if shared > 0, shared > (best?.shared ?? 0) { best = (property, shared) }
            }
            return best?.property
        }

        /// An enum value mentioned verbatim.
        mutating func choose(_ property: Property) {
            guard input[property.name] == nil, let allowed = property.allowed else { return }
            if !property.required {
                let mentioned = Set(request.words.map { Vocabulary.normalized($0.lowered) })
                guard !property.nameWords.isDisjoint(with: mentioned) else { return }
            }
            var best: (position: Int, value: String, tokens: [RequestText.Token], quote: Int?)?
            for case .string(let value) in allowed where value.count >= 2 {
                let parts = value.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
                guard !parts.isEmpty else { continue }
                let tokens = request.tokens
                if tokens.count >= parts.count {
                    for start in 0...(tokens.count - parts.count) {
                        let run = Array(tokens[start..<(start + parts.count)])
                        guard run.map(\.lowered) == parts, run.allSatisfy({ !usedTokens.contains($0.position) }) else {
                            continue
                        }
                        if best == nil || start < best!.position { best = (start, value, run, nil) }
                        break
                    }
                }
                for (index, quote) in request.quotes.enumerated() where !usedQuotes.contains(index) {
                    guard quote.text.trimmingWhitespace().lowercased() == value.lowercased() else { continue }
                    if best == nil || quote.position < best!.position { best = (quote.position, value, [], index) }
                    break
                }
            }
            guard let best else { return }
            input[property.name] = .string(best.value)
            for token in best.tokens { take(token: token) }
            if let quote = best.quote { take(quote: quote) }
        }

        /// Numbers by the words around them, then in order into the required properties.
        mutating func assignNumbers(to properties: [Property]) {
            guard !properties.isEmpty else { return }
            for token in request.tokens where token.kind == .number && !usedTokens.contains(token.position) {
                let around = words(at: max(0, token.position - 2)...(token.position + 2))
                guard let property = named(in: around, among: properties),
                    let value = Self.number(token.text, for: property)
                else { continue }
                input[property.name] = value
                take(token: token)
            }
            for property in properties where property.required && input[property.name] == nil {
                guard
                    let token = request.tokens.first(where: {
                        $0.kind == .number && !usedTokens.contains($0.position)
                            && Self.number($0.text, for: property) != nil
                    }), let value = Self.number(token.text, for: property)
                else { continue }
                input[property.name] = value
                take(token: token)
            }
        }

        /// `text` as the JSON number `property` takes: an integer when it is one, a fraction only for
        /// a property that takes numbers.
        static func number(_ text: String, for property: Property) -> JSONValue? {
            let body = text.hasPrefix("+") ? String(text.dropFirst()) : text
            if let integer = Int64(body) { return .integer(integer) }
            guard property.types.contains("number"), let double = Double(body), double.isFinite else { return nil }
            return .number(double)
        }

        /// Quotes by the name before them, then in order into the required properties.
        mutating func assignQuotes(to properties: [Property]) {
            guard !properties.isEmpty else { return }
            for (index, quote) in request.quotes.enumerated() where !usedQuotes.contains(index) {
                let before = quote.position >= 1 ? words(at: max(0, quote.position - 2)...(quote.position - 1)) : []
                guard let property = named(in: before, among: properties) else { continue }
                input[property.name] = .string(quote.text)
                take(quote: index)
            }
            var remaining = request.quotes.indices.filter { !usedQuotes.contains($0) }[...]
            for property in properties where property.required && input[property.name] == nil {
                guard let index = remaining.popFirst() else { return }
                input[property.name] = .string(request.quotes[index].text)
                take(quote: index)
            }
        }
    }
}
