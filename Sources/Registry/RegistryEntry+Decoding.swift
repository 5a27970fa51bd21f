import JSON
import ToolPackage

extension RegistryEntry {
    /// The longest index line accepted, in bytes (256 KiB, the newline excluded).
    public static let maximumLineBytes = 256 << 10
    /// The longest description, in UTF-8 bytes.
    public static let maximumDescriptionBytes = 4096
    /// The longest title, in UTF-8 bytes.
    public static let maximumTitleBytes = 256
    /// The most keywords of one entry.
    public static let maximumKeywords = 64
    /// The longest keyword, in UTF-8 bytes.
    public static let maximumKeywordBytes = 64
    /// The longest package source, in UTF-8 bytes.
    public static let maximumSourceBytes = 2048

    /// Parses and decodes one line of an index file (UTF-8 JSON, without its newline).
    ///
    /// - Parameters:
    ///   - bytes: the line.
    ///   - origin: the origin given to the entry (default `.index`).
    /// - Returns: the entry.
    /// - Throws: ``IndexLineError`` with an empty field when the line is longer than
    ///   ``maximumLineBytes`` or not JSON (naming the column), otherwise as ``decode(line:origin:)``.
    public static func decode(bytes: UnsafeBufferPointer<UInt8>, origin: Origin = .index) throws(IndexLineError)
        -> RegistryEntry
    {
        guard bytes.count <= maximumLineBytes else {
            throw IndexLineError(
                field: "", message: "the line is \(bytes.count) bytes, over the \(maximumLineBytes)-byte limit")
        }
        let document: JSONValue
        do {
            document = try JSONParser().parse(bytes)
        } catch {
            throw IndexLineError(field: "", message: "not valid JSON: column \(error.column): \(error.message)")
        }
        return try decode(line: document, origin: origin)
    }

    /// Decodes one parsed line of an index file strictly.
    ///
    /// `id`, `version` and `description` are required. `title`, `keywords`, `input`, `output`, `env`,
    /// `scopes`, `risk`, `binding`, `package` and `yanked` are optional (`null` counts as absent);
    /// a known field with a wrong type or value is an error naming its path. Unknown fields, at the top
    /// level and inside `env` items, `risk` and `package`, are ignored: index files come from other
    /// publishers, and DESIGN lets them add fields. Duplicate keywords and scopes are dropped;
    /// duplicate environment variable names are an error.
    ///
    /// - Parameters:
    ///   - line: the parsed line.
    ///   - origin: the origin given to the entry (default `.index`).
    /// - Returns: the entry.
    /// - Throws: ``IndexLineError`` for the first problem found, with its JSON path
    ///   (`env[1].name: expected an environment variable name ([A-Z_][A-Z0-9_]*), found "x-y"`).
    public static func decode(line: JSONValue, origin: Origin = .index) throws(IndexLineError) -> RegistryEntry {
        guard case .object(let top) = line else {
            throw IndexLineError(field: "", message: "expected a JSON object (one tool), found \(describe(line))")
        }
        guard let idValue = top["id"] else { throw missing("id", what: "a tool id such as web.fetch_extract") }
        guard case .string(let id) = idValue, isValidID(id) else {
            throw expected("id", "a dotted lowercase tool id such as web.fetch_extract (at most 128 bytes)", idValue)
        }
        guard let versionValue = top["version"] else {
            throw missing("version", what: "a semantic version such as 1.2.0")
        }
        guard case .string(let versionText) = versionValue else {
            throw expected("version", "a semantic version string such as 1.2.0", versionValue)
        }
        guard let version = SemanticVersion(versionText) else {
            let why = SemanticVersion.problem(in: versionText) ?? "invalid"
            throw expected("version", "a semantic version such as 1.2.0 (\(why))", versionValue)
        }
        guard let descriptionValue = top["description"] else {
            throw missing("description", what: "a non-empty string")
        }
        guard case .string(let description) = descriptionValue, !description.isEmpty,
            description.utf8.count <= maximumDescriptionBytes
        else {
            throw expected(
                "description", "a non-empty string of at most \(maximumDescriptionBytes) bytes", descriptionValue)
        }

        var entry = RegistryEntry(id: id, version: version, description: description, origin: origin)
        if let value = present(top["title"]) {
            guard case .string(let title) = value, !title.isEmpty, title.utf8.count <= maximumTitleBytes else {
                throw expected("title", "a non-empty string of at most \(maximumTitleBytes) bytes", value)
            }
            entry.title = title
        }
        if let value = present(top["keywords"]) {
            entry.keywords = try keywords(value)
        }
        if let value = present(top["input"]) {
            entry.input = try schema(value, at: "input")
        }
        if let value = present(top["output"]) {
            entry.output = try schema(value, at: "output")
        }
        if let value = present(top["env"]) {
            entry.env = try environment(value)
        }
        if let value = present(top["scopes"]) {
            entry.scopes = try scopes(value)
        }
        if let value = present(top["risk"]) {
            entry.risk = try risk(value)
        }
        if let value = present(top["binding"]) {
            guard case .string(let binding) = value, bindings.contains(binding) else {
                throw expected("binding", "one of \(bindings.joined(separator: ", "))", value)
            }
            entry.binding = binding
        }
        if let value = present(top["package"]) {
            entry.package = try package(value)
        }
        if let value = present(top["yanked"]) {
            switch value {
            case .bool(let yanked): entry.yanked = yanked ? "" : nil
            case .string(let reason) where reason.utf8.count <= maximumDescriptionBytes: entry.yanked = reason
            default:
                throw expected(
                    "yanked", "true, false or the reason (a string of at most \(maximumDescriptionBytes) bytes)", value)
            }
        }
        return entry
    }

    /// ``ToolManifest/isValidID(_:)`` in one pass without allocating (it runs on every line of an
    /// index): `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`, at most 128 bytes.
    static func isValidID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard utf8.count <= 128 else { return false }
        var names = 0
        var atNameStart = true
        for byte in utf8 {
            if atNameStart {
                guard byte >= 0x61, byte <= 0x7A else { return false }
                atNameStart = false
                names += 1
            } else if byte == 0x2E {
                atNameStart = true
            } else if !((byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F) {
                return false
            }
        }
        return !atNameStart && names >= 2
    }

    // MARK: - Fields

    private static func keywords(_ value: JSONValue) throws(IndexLineError) -> [String] {
        guard case .array(let items) = value, items.count <= maximumKeywords else {
            throw expected("keywords", "an array of at most \(maximumKeywords) strings", value)
        }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let keyword) = item, !keyword.isEmpty, keyword.utf8.count <= maximumKeywordBytes,
                !keyword.utf8.contains(where: { $0 < 0x20 })
            else {
                throw expected(
                    "keywords[\(i)]",
                    "a non-empty string of at most \(maximumKeywordBytes) bytes without control characters", item)
            }
            if !result.contains(keyword) { result.append(keyword) }
        }
        return result
    }

    private static func schema(_ value: JSONValue, at field: String) throws(IndexLineError) -> JSONValue {
        switch value {
        case .object, .bool: return value
        default: throw expected(field, "a JSON Schema (an object or a boolean)", value)
        }
    }

    private static func environment(_ value: JSONValue) throws(IndexLineError) -> [ToolManifest.EnvironmentVariable] {
        guard case .array(let items) = value else {
            throw expected("env", "an array of {name, description, required, secret} objects", value)
        }
        var result: [ToolManifest.EnvironmentVariable] = []
        for (i, item) in items.enumerated() {
            let path = "env[\(i)]"
            guard case .object(let members) = item else {
                throw expected(path, "an object {name, description, required, secret}", item)
            }
            guard let nameValue = members["name"] else {
                throw missing(path + ".name", what: "an environment variable name")
            }
            guard case .string(let name) = nameValue, ToolManifest.isValidEnvName(name) else {
                throw expected(path + ".name", "an environment variable name ([A-Z_][A-Z0-9_]*)", nameValue)
            }
            if result.contains(where: { $0.name == name }) {
                throw IndexLineError(
                    field: path + ".name", message: "duplicate environment variable \"\(name)\" (expected unique names)"
                )
            }
            var description = ""
            if let value = present(members["description"]) {
                guard case .string(let text) = value, text.utf8.count <= maximumDescriptionBytes else {
                    throw expected(path + ".description", "a string of at most \(maximumDescriptionBytes) bytes", value)
                }
                description = text
            }
            let required = try flag(members["required"], at: path + ".required") ?? false
            let secret = try flag(members["secret"], at: path + ".secret") ?? false
            result.append(.init(name: name, description: description, required: required, secret: secret))
        }
        return result
    }

    private static func scopes(_ value: JSONValue) throws(IndexLineError) -> [String] {
        guard case .array(let items) = value else { throw expected("scopes", "an array of scope names", value) }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let scope) = item, ToolManifest.isValidScope(scope) else {
                throw expected("scopes[\(i)]", "a scope name ([a-z][a-z0-9_]*, at most 64 bytes)", item)
            }
            if !result.contains(scope) { result.append(scope) }
        }
        return result
    }

    private static func risk(_ value: JSONValue) throws(IndexLineError) -> ToolManifest.Risk {
        guard case .object(let members) = value else {
            throw expected("risk", "an object {level, externalWrite, readOnly}", value)
        }
        guard let levelValue = members["level"] else { throw missing("risk.level", what: "one of low, medium, high") }
        guard case .string(let text) = levelValue, let level = ToolManifest.Risk.Level(rawValue: text) else {
            throw expected("risk.level", "one of low, medium, high", levelValue)
        }
        guard let externalWrite = try flag(members["externalWrite"], at: "risk.externalWrite") else {
            throw missing("risk.externalWrite", what: "true or false")
        }
        guard let readOnly = try flag(members["readOnly"], at: "risk.readOnly") else {
            throw missing("risk.readOnly", what: "true or false")
        }
        let idempotent = try flag(members["idempotent"], at: "risk.idempotent")
        if readOnly, externalWrite {
            throw IndexLineError(
                field: "risk.readOnly",
                message: "expected false when externalWrite is true (a tool that writes externally is not read-only)")
        }
        return .init(level: level, externalWrite: externalWrite, readOnly: readOnly, idempotent: idempotent)
    }

    private static func package(_ value: JSONValue) throws(IndexLineError) -> PackageReference {
        guard case .object(let members) = value else { throw expected("package", "an object {source, digest}", value) }
        guard let sourceValue = members["source"] else { throw missing("package.source", what: "a non-empty string") }
        guard case .string(let source) = sourceValue, !source.isEmpty, source.utf8.count <= maximumSourceBytes else {
            throw expected("package.source", "a non-empty string of at most \(maximumSourceBytes) bytes", sourceValue)
        }
        guard let digestValue = members["digest"] else {
            throw missing("package.digest", what: "sha256: followed by 64 lowercase hex digits")
        }
        guard case .string(let digest) = digestValue, PackageReference.isValidDigest(digest) else {
            throw expected("package.digest", "sha256: followed by 64 lowercase hex digits", digestValue)
        }
        return PackageReference(source: source, digest: digest)
    }

    // MARK: - Helpers

    /// nil for an absent or `null` optional field.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        if let value, value != .null { return value }
        return nil
    }

    private static func flag(_ value: JSONValue?, at field: String) throws(IndexLineError) -> Bool? {
        guard let value = present(value) else { return nil }
        guard case .bool(let b) = value else { throw expected(field, "true or false", value) }
        return b
    }

    private static func missing(_ field: String, what: String) -> IndexLineError {
        IndexLineError(field: field, message: "expected \(what) (the field is required and missing)")
    }

    private static func expected(_ field: String, _ what: String, _ found: JSONValue) -> IndexLineError {
        IndexLineError(field: field, message: "expected \(what), found \(describe(found))")
    }

    /// What was found, for "found …": short strings quoted (escaped), other values by kind.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s):
            guard s.utf8.count <= 48 else { return "a string of \(s.utf8.count) bytes" }
            var quoted = ""
            JSONWriter.appendQuoted(s, to: &quoted)
            return quoted
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "an array of \(items.count) items"
        case .object: return "an object"
        }
    }
}
