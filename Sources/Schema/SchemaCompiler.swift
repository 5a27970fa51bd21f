import JSON
/// A place in one of the documents a compilation knows.
struct SchemaLocation: Hashable {
    let document: Int
    let pointer: JSONPointer
}

/// What holds at a location: the base URI, the dialect and whether validation keywords apply.
struct SchemaScope {
    var base: String
    var dialect: SchemaDialect
    var validationVocabulary = true
}

/// Turns schema documents into a ``SchemaProgram``: scans every document for resources (`$id`),
/// anchors and dynamic anchors, then compiles nodes on demand from the root, following `$ref`s
/// (memoised by location, so cycles terminate). Used once per ``JSONSchema/compile(_:options:registry:)``.
final class SchemaCompiler {
    /// The deepest schema nesting accepted (a hostile schema cannot exhaust the stack).
    static let maximumDepth = 512
    /// The base URI of a root document without `$id`.
    static let rootURI = "urn:omega-exec:schema:root"

    let options: SchemaOptions
    let registry: SchemaRegistry?
    let program = SchemaProgram()

    private var documents: [JSONValue] = []
    private var resources: [String: SchemaLocation] = [:]
    private var anchors: [String: SchemaLocation] = [:]
    private var dynamicAnchorDeclarations: [String: [String: SchemaLocation]] = [:]
    private var scopes: [SchemaLocation: SchemaScope] = [:]
    private var nodes: [SchemaLocation: SchemaNode] = [:]
    private var resourceIndices: [String: Int] = [:]
    private var dynamicNames: Set<String> = []
    private var searchedRegistry = false

    init(options: SchemaOptions, registry: SchemaRegistry?) {
        self.options = options
        self.registry = registry
    }

    /// Compiles `root` and everything it references.
    func compile(_ root: JSONValue) throws(SchemaError) -> SchemaProgram {
        let location = try addDocument(root, uri: SchemaCompiler.rootURI, defaultDialect: options.defaultDialect)
        program.dialect = scope(at: location).dialect
        program.root = NodeRef(try node(at: location, depth: 0))
        // $dynamicRef targets: every dynamic anchor with a name some $dynamicRef uses, in every resource.
        var done: Set<SchemaLocation> = []
        while true {
            var pending: [(String, String, SchemaLocation)] = []
            for (resource, declarations) in dynamicAnchorDeclarations {
                for (name, location) in declarations where dynamicNames.contains(name) && !done.contains(location) {
                    pending.append((resource, name, location))
                }
            }
            if pending.isEmpty { break }
            for (resource, name, location) in pending {
                done.insert(location)
                let compiled = try node(at: location, depth: 0)
                program.dynamicAnchors[resourceIndex(resource)][name] = NodeRef(compiled)
            }
        }
        return program
    }

    // MARK: documents and scanning

    private func addDocument(_ document: JSONValue, uri: String, defaultDialect: SchemaDialect) throws(SchemaError)
        -> SchemaLocation
    {
        let index = documents.count
        documents.append(document)
        let location = SchemaLocation(document: index, pointer: JSONPointer())
        if resources[uri] == nil { resources[uri] = location }
        try scan(document, location, SchemaScope(base: uri, dialect: defaultDialect), depth: 0)
        return location
    }

    private func scan(_ value: JSONValue, _ location: SchemaLocation, _ inherited: SchemaScope, depth: Int)
        throws(SchemaError)
    {
        guard depth < SchemaCompiler.maximumDepth else {
            throw SchemaError("schema is nested more than \(SchemaCompiler.maximumDepth) levels deep", at: location.pointer)
        }
        guard case .object(let object) = value else {
            scopes[location] = inherited
            return
        }
        var scope = inherited
        let ignoresSiblings = scope.dialect == .draft7 && object["$ref"] != nil
        let id = ignoresSiblings ? nil : object["$id"]
        if let schemaURI = object["$schema"], location.pointer.tokens.isEmpty || id != nil {
            guard let text = schemaURI.stringValue else {
                throw SchemaError("$schema: expected a URI string", at: location.pointer.appending("$schema"))
            }
            try applyMetaschema(text, to: &scope, at: location.pointer)
        }
        if let id {
            guard let text = id.stringValue else {
                throw SchemaError("$id: expected a URI-reference string", at: location.pointer.appending("$id"))
            }
            if scope.dialect == .draft7 && text.hasPrefix("#") {
                anchors[scope.base + text] = location
            } else {
                let resolved = URIReference(scope.base).resolving(URIReference(text))
                scope.base = resolved.withoutFragment.text
                if resources[scope.base] == nil { resources[scope.base] = location }
                if scope.dialect == .draft7, let fragment = resolved.fragment, !fragment.isEmpty {
                    anchors[scope.base + "#" + fragment] = location
                }
            }
        }
        if scope.dialect == .draft2020_12 {
            if let anchor = object["$anchor"] {
                guard let name = anchor.stringValue else {
                    throw SchemaError("$anchor: expected a string", at: location.pointer.appending("$anchor"))
                }
                anchors[scope.base + "#" + name] = location
            }
            if let anchor = object["$dynamicAnchor"] {
                guard let name = anchor.stringValue else {
                    throw SchemaError("$dynamicAnchor: expected a string", at: location.pointer.appending("$dynamicAnchor"))
                }
                anchors[scope.base + "#" + name] = location
                dynamicAnchorDeclarations[scope.base, default: [:]][name] = location
            }
        }
        scopes[location] = scope
        _ = resourceIndex(scope.base)
        for (keyword, shape) in SchemaCompiler.subschemaKeywords(scope.dialect) {
            guard let member = object[keyword] else { continue }
            let here = location.pointer.appending(keyword)
            switch (shape, member) {
            case (.single, _), (.singleOrArray, .object), (.singleOrArray, .bool):
                try scan(member, SchemaLocation(document: location.document, pointer: here), scope, depth: depth + 1)
            case (.array, .array(let items)), (.singleOrArray, .array(let items)):
                for (i, item) in items.enumerated() {
                    try scan(item, SchemaLocation(document: location.document, pointer: here.appending(i)), scope,
                        depth: depth + 1)
                }
            case (.map, .object(let members)):
                for (key, item) in members {
                    if case .array = item { continue }  // draft-07 `dependencies` arrays
                    try scan(item, SchemaLocation(document: location.document, pointer: here.appending(key)), scope,
                        depth: depth + 1)
                }
            default:
                continue
            }
        }
    }

    /// Applies a `$schema` value: a known dialect, or a custom metaschema found in the registry whose
    /// `$vocabulary` may leave out the validation vocabulary.
    private func applyMetaschema(_ uri: String, to scope: inout SchemaScope, at path: JSONPointer) throws(SchemaError) {
        if let dialect = SchemaDialect.forMetaschema(uri) {
            scope.dialect = dialect
            scope.validationVocabulary = true
            return
        }
        let key = URIReference(uri).withoutFragment.text
        guard let metaschema = registry?.document(for: key) ?? SchemaRegistry.builtInDocument(for: key) else {
            throw SchemaError("$schema: unknown metaschema \"\(uri)\" (register it in the SchemaRegistry)",
                at: path.appending("$schema"))
        }
        if let parent = metaschema["$schema"]?.stringValue, let dialect = SchemaDialect.forMetaschema(parent) {
            scope.dialect = dialect
        }
        if case .object(let vocabularies)? = metaschema["$vocabulary"] {
            let known = [
                "core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation",
                "format-assertion", "content",
            ].map { "https://json-schema.org/draft/2020-12/vocab/" + $0 }
            for (vocabulary, required) in vocabularies where required == .bool(true) && !known.contains(vocabulary) {
                throw SchemaError("$schema: metaschema \"\(uri)\" requires the unknown vocabulary \"\(vocabulary)\"",
                    at: path.appending("$schema"))
            }
            scope.validationVocabulary = vocabularies["https://json-schema.org/draft/2020-12/vocab/validation"] != nil
        }
    }

    enum Shape { case single, array, map, singleOrArray }

    static func subschemaKeywords(_ dialect: SchemaDialect) -> [(String, Shape)] {
        switch dialect {
        case .draft2020_12:
            return [
                ("additionalProperties", .single), ("propertyNames", .single), ("items", .single),
                ("contains", .single), ("not", .single), ("if", .single), ("then", .single), ("else", .single),
                ("unevaluatedItems", .single), ("unevaluatedProperties", .single), ("contentSchema", .single),
                ("properties", .map), ("patternProperties", .map), ("$defs", .map), ("dependentSchemas", .map),
                ("definitions", .map), ("allOf", .array), ("anyOf", .array), ("oneOf", .array), ("prefixItems", .array),
            ]
        case .draft7:
            return [
                ("additionalItems", .single), ("additionalProperties", .single), ("propertyNames", .single),
                ("contains", .single), ("not", .single), ("if", .single), ("then", .single), ("else", .single),
                ("items", .singleOrArray), ("properties", .map), ("patternProperties", .map), ("definitions", .map),
                ("dependencies", .map), ("allOf", .array), ("anyOf", .array), ("oneOf", .array),
            ]
        }
    }

    private func resourceIndex(_ uri: String) -> Int {
        if let index = resourceIndices[uri] { return index }
        let index = program.resourceURIs.count
        resourceIndices[uri] = index
        program.resourceURIs.append(uri)
        program.dynamicAnchors.append([:])
        return index
    }

    /// The scope at `location`, or at its nearest scanned ancestor (for pointers into unknown keywords).
    private func scope(at location: SchemaLocation) -> SchemaScope {
        var tokens = location.pointer.tokens
        while true {
            if let scope = scopes[SchemaLocation(document: location.document, pointer: JSONPointer(tokens: tokens))] {
                return scope
            }
            if tokens.isEmpty { return SchemaScope(base: SchemaCompiler.rootURI, dialect: options.defaultDialect) }
            tokens.removeLast()
        }
    }

    // MARK: references

    /// The location `reference` designates, from a schema whose base URI is `base`.
    private func resolve(_ reference: String, base: String, at path: JSONPointer) throws(SchemaError) -> SchemaLocation {
        let target = URIReference(base).resolving(URIReference(reference))
        let uri = target.withoutFragment.text
        let fragment = URIReference.percentDecoded(target.fragment ?? "")
        let resource = try locateResource(uri, reference: reference, at: path)
        if fragment.isEmpty { return resource }
        if fragment.hasPrefix("/") {
            guard let pointer = JSONPointer(parsing: fragment) else {
                throw SchemaError("$ref \"\(reference)\": malformed JSON pointer \"\(fragment)\"", at: path)
            }
            let location = SchemaLocation(document: resource.document, pointer: JSONPointer(tokens: resource.pointer.tokens + pointer.tokens))
            guard location.pointer.resolve(in: documents[location.document]) != nil else {
                throw SchemaError("$ref \"\(reference)\": nothing at \"\(uri)#\(fragment)\"", at: path)
            }
            return location
        }
        guard let location = anchors[uri + "#" + fragment] else {
            throw SchemaError("$ref \"\(reference)\": no anchor \"\(fragment)\" in \"\(uri)\"", at: path)
        }
        return location
    }

    private func locateResource(_ uri: String, reference: String, at path: JSONPointer) throws(SchemaError)
        -> SchemaLocation
    {
        if let location = resources[uri] { return location }
        if let document = registry?.document(for: uri) ?? SchemaRegistry.builtInDocument(for: uri) {
            _ = try addDocument(document, uri: uri, defaultDialect: options.defaultDialect)
            if let location = resources[uri] { return location }
        }
        if !searchedRegistry, let registry {
            searchedRegistry = true
            for (registeredURI, document) in registry.allDocuments() where resources[registeredURI] == nil {
                _ = try addDocument(document, uri: registeredURI, defaultDialect: options.defaultDialect)
            }
            if let location = resources[uri] { return location }
        }
        throw SchemaError(
            "$ref \"\(reference)\": cannot resolve \"\(uri)\" (no such schema is registered; remote schemas are never fetched)",
            at: path)
    }

    // MARK: nodes

    private func node(at location: SchemaLocation, depth: Int) throws(SchemaError) -> SchemaNode {
        if let existing = nodes[location] { return existing }
        guard depth < SchemaCompiler.maximumDepth else {
            throw SchemaError("schema is nested more than \(SchemaCompiler.maximumDepth) levels deep", at: location.pointer)
        }
        guard let value = location.pointer.resolve(in: documents[location.document]) else {
            throw SchemaError("no schema at \(location.pointer)", at: location.pointer)
        }
        let node = SchemaNode(path: location.pointer)
        program.nodes.append(node)
        nodes[location] = node
        let scope = scope(at: location)
        node.resource = resourceIndex(scope.base)
        switch value {
        case .bool(let b): node.kind = b ? .alwaysValid : .alwaysInvalid
        case .object(let object):
            var builder = NodeBuilder(compiler: self, location: location, object: object, scope: scope, depth: depth)
            try builder.build()
            node.keywords = builder.instructions.map { Keyword.make($0.op, path: $0.path) }
            node.usesUnevaluated = builder.usesUnevaluated
            if node.keywords.isEmpty { node.kind = .alwaysValid }
        default:
            throw SchemaError("expected a schema (an object or a boolean), got \(value.typeName)", at: location.pointer)
        }
        return node
    }

    /// Compiles the subschema at `tokens` below `location`.
    fileprivate func child(_ location: SchemaLocation, _ tokens: [String], depth: Int) throws(SchemaError) -> NodeRef {
        let target = SchemaLocation(document: location.document, pointer: JSONPointer(tokens: location.pointer.tokens + tokens))
        return NodeRef(try node(at: target, depth: depth + 1))
    }

    fileprivate func reference(_ text: String, scope: SchemaScope, dynamic: Bool, at path: JSONPointer, depth: Int)
        throws(SchemaError) -> Op
    {
        let location = try resolve(text, base: scope.base, at: path)
        let target = NodeRef(try node(at: location, depth: depth + 1))
        guard dynamic else { return .ref(target) }
        let resolved = URIReference(scope.base).resolving(URIReference(text))
        let fragment = URIReference.percentDecoded(resolved.fragment ?? "")
        let uri = resolved.withoutFragment.text
        if !fragment.isEmpty, !fragment.hasPrefix("/"), dynamicAnchorDeclarations[uri]?[fragment] == location {
            dynamicNames.insert(fragment)
            return .dynamicRef(target, anchor: fragment)
        }
        return .ref(target)
    }
}

/// Builds one object schema's instructions.
private struct NodeBuilder {
    let compiler: SchemaCompiler
    let location: SchemaLocation
    let object: [String: JSONValue]
    let scope: SchemaScope
    let depth: Int
    var instructions: [Instruction] = []
    var usesUnevaluated = false

    init(compiler: SchemaCompiler, location: SchemaLocation, object: [String: JSONValue], scope: SchemaScope, depth: Int) {
        self.compiler = compiler
        self.location = location
        self.object = object
        self.scope = scope
        self.depth = depth
    }

    private func path(_ keyword: String) -> JSONPointer { location.pointer.appending(keyword) }

    private func child(_ tokens: String...) throws(SchemaError) -> NodeRef {
        try compiler.child(location, tokens, depth: depth)
    }

    private mutating func emit(_ keyword: String, _ op: Op) { instructions.append(Instruction(op: op, path: path(keyword))) }

    private func fail(_ keyword: String, _ expected: String) -> SchemaError {
        SchemaError("\(keyword): expected \(expected)", at: path(keyword))
    }

    private func count(_ keyword: String) throws(SchemaError) -> Int? {
        guard let value = object[keyword] else { return nil }
        switch value {
        case .integer(let i) where i >= 0: return Int(clamping: i)
        case .number(let d) where d >= 0 && d.rounded() == d:
            return d >= 9.2e18 ? Int.max : Int(d)
        default: throw fail(keyword, "a non-negative integer")
        }
    }

    private func limit(_ keyword: String) throws(SchemaError) -> NumericLimit? {
        guard let value = object[keyword] else { return nil }
        guard let limit = NumericLimit(value) else { throw fail(keyword, "a number") }
        return limit
    }

    private func strings(_ value: JSONValue, _ keyword: String) throws(SchemaError) -> [String] {
        guard case .array(let items) = value else { throw fail(keyword, "an array of strings") }
        var result: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw fail(keyword, "an array of strings") }
            result.append(s)
        }
        return result
    }

    private func regex(_ pattern: String, _ keyword: String) throws(SchemaError) -> ECMARegex {
        do {
            return try ECMARegex(pattern)
        } catch {
            throw SchemaError("\(keyword): \(error.message)", at: path(keyword))
        }
    }

    private func schemaArray(_ keyword: String) throws(SchemaError) -> [NodeRef]? {
        guard let value = object[keyword] else { return nil }
        guard case .array(let items) = value, !items.isEmpty else { throw fail(keyword, "a non-empty array of schemas") }
        var result: [NodeRef] = []
        for i in items.indices { result.append(try child(keyword, String(i))) }
        return result
    }

    mutating func build() throws(SchemaError) {
        let draft7 = scope.dialect == .draft7
        if draft7, let ref = object["$ref"] {
            // Draft-07: `$ref` overrides every sibling keyword.
            guard case .string(let text) = ref else { throw fail("$ref", "a URI-reference string") }
            emit("$ref", try compiler.reference(text, scope: scope, dynamic: false, at: path("$ref"), depth: depth))
            return
        }
        if scope.validationVocabulary { try buildValidation(draft7: draft7) }
        try buildObjectApplicators(draft7: draft7)
        try buildArrayApplicators(draft7: draft7)
        try buildLogic()
        if let ref = object["$ref"] {
            guard case .string(let text) = ref else { throw fail("$ref", "a URI-reference string") }
            emit("$ref", try compiler.reference(text, scope: scope, dynamic: false, at: path("$ref"), depth: depth))
        }
        if !draft7, let ref = object["$dynamicRef"] {
            guard case .string(let text) = ref else { throw fail("$dynamicRef", "a URI-reference string") }
            emit("$dynamicRef", try compiler.reference(text, scope: scope, dynamic: true, at: path("$dynamicRef"), depth: depth))
        }
        if !draft7 {
            if object["unevaluatedProperties"] != nil {
                emit("unevaluatedProperties", .unevaluatedProperties(try child("unevaluatedProperties")))
                usesUnevaluated = true
            }
            if object["unevaluatedItems"] != nil {
                emit("unevaluatedItems", .unevaluatedItems(try child("unevaluatedItems")))
                usesUnevaluated = true
            }
        }
    }

    private mutating func buildValidation(draft7: Bool) throws(SchemaError) {
        if let type = object["type"] {
            var set = TypeSet()
            switch type {
            case .string(let name):
                guard let t = TypeSet(name: name) else { throw fail("type", "a JSON type name") }
                set = t
            case .array(let names):
                for name in names {
                    guard case .string(let n) = name, let t = TypeSet(name: n) else {
                        throw fail("type", "an array of JSON type names")
                    }
                    set.formUnion(t)
                }
            default: throw fail("type", "a type name or an array of type names")
            }
            emit("type", .type(set))
        }
        if let value = object["enum"] {
            guard case .array(let values) = value else { throw fail("enum", "an array") }
            emit("enum", .enumeration(values))
        }
        if let value = object["const"] { emit("const", .const(value)) }
        if let m = try limit("multipleOf") {
            guard m.double > 0 else { throw fail("multipleOf", "a number greater than 0") }
            emit("multipleOf", .multipleOf(m))
        }
        if let m = try limit("maximum") { emit("maximum", .maximum(m)) }
        if let m = try limit("exclusiveMaximum") { emit("exclusiveMaximum", .exclusiveMaximum(m)) }
        if let m = try limit("minimum") { emit("minimum", .minimum(m)) }
        if let m = try limit("exclusiveMinimum") { emit("exclusiveMinimum", .exclusiveMinimum(m)) }
        if let n = try count("maxLength") { emit("maxLength", .maxLength(n)) }
        if let n = try count("minLength"), n > 0 { emit("minLength", .minLength(n)) }
        if let value = object["pattern"] {
            guard case .string(let pattern) = value else { throw fail("pattern", "a regular expression string") }
            emit("pattern", .pattern(try regex(pattern, "pattern")))
        }
        if let value = object["format"] {
            guard case .string(let name) = value else { throw fail("format", "a string") }
            if compiler.options.assertFormats, let kind = FormatChecker.Kind(rawValue: name) {
                emit("format", .format(kind, name))
            }
        }
        if let n = try count("maxItems") { emit("maxItems", .maxItems(n)) }
        if let n = try count("minItems"), n > 0 { emit("minItems", .minItems(n)) }
        if let value = object["uniqueItems"] {
            guard case .bool(let unique) = value else { throw fail("uniqueItems", "a boolean") }
            if unique { emit("uniqueItems", .uniqueItems) }
        }
        if let n = try count("maxProperties") { emit("maxProperties", .maxProperties(n)) }
        if let n = try count("minProperties"), n > 0 { emit("minProperties", .minProperties(n)) }
        if let value = object["required"] {
            let names = try strings(value, "required")
            if !names.isEmpty { emit("required", .required(names)) }
        }
        if !draft7, let value = object["dependentRequired"] {
            guard case .object(let members) = value else { throw fail("dependentRequired", "an object of string arrays") }
            var pairs: [(String, [String])] = []
            for key in members.keys.sorted() { pairs.append((key, try strings(members[key]!, "dependentRequired"))) }
            emit("dependentRequired", .dependentRequired(pairs))
        }
        if draft7, case .object(let members)? = object["dependencies"] {
            var pairs: [(String, [String])] = []
            for key in members.keys.sorted() {
                if case .array = members[key]! { pairs.append((key, try strings(members[key]!, "dependencies"))) }
            }
            if !pairs.isEmpty { emit("dependencies", .dependentRequired(pairs)) }
        }
    }

    private mutating func buildObjectApplicators(draft7: Bool) throws(SchemaError) {
        var table: [String: NodeRef] = [:]
        var patterns: [(ECMARegex, NodeRef)] = []
        if let value = object["properties"] {
            guard case .object(let members) = value else { throw fail("properties", "an object of schemas") }
            for key in members.keys.sorted() { table[key] = try child("properties", key) }
        }
        if let value = object["patternProperties"] {
            guard case .object(let members) = value else { throw fail("patternProperties", "an object of schemas") }
            for key in members.keys.sorted() {
                patterns.append((try regex(key, "patternProperties"), try child("patternProperties", key)))
            }
        }
        let additional = object["additionalProperties"] != nil ? try child("additionalProperties") : nil
        if object["properties"] != nil || object["patternProperties"] != nil || additional != nil {
            let keyword = additional != nil ? "additionalProperties" : object["properties"] != nil ? "properties" : "patternProperties"
            emit(keyword, .members(MemberKeywords(properties: table, patterns: patterns, additional: additional,
                additionalPath: path("additionalProperties"))))
        }
        if object["propertyNames"] != nil { emit("propertyNames", .propertyNames(try child("propertyNames"))) }
        let dependentKeyword = draft7 ? "dependencies" : "dependentSchemas"
        if let value = object[dependentKeyword] {
            guard case .object(let members) = value else { throw fail(dependentKeyword, "an object") }
            var pairs: [(String, NodeRef)] = []
            for key in members.keys.sorted() {
                if draft7, case .array = members[key]! { continue }
                pairs.append((key, try child(dependentKeyword, key)))
            }
            if !pairs.isEmpty { emit(dependentKeyword, .dependentSchemas(pairs)) }
        }
    }

    private mutating func buildArrayApplicators(draft7: Bool) throws(SchemaError) {
        if draft7 {
            if let items = object["items"] {
                if case .array(let list) = items {
                    var refs: [NodeRef] = []
                    for i in list.indices { refs.append(try child("items", String(i))) }
                    emit("items", .prefixItems(refs))
                    if object["additionalItems"] != nil {
                        emit("additionalItems", .items(try child("additionalItems"), from: refs.count))
                    }
                } else {
                    emit("items", .items(try child("items"), from: 0))
                }
            }
            if object["contains"] != nil { emit("contains", .contains(try child("contains"), min: 1, max: nil)) }
            return
        }
        var prefixCount = 0
        if let refs = try schemaArray("prefixItems") {
            prefixCount = refs.count
            emit("prefixItems", .prefixItems(refs))
        }
        if let items = object["items"] {
            if case .array = items { throw fail("items", "a schema (2020-12 uses prefixItems for arrays of schemas)") }
            emit("items", .items(try child("items"), from: prefixCount))
        }
        if object["contains"] != nil {
            let minimum = scope.validationVocabulary ? (try count("minContains") ?? 1) : 1
            let maximum = scope.validationVocabulary ? try count("maxContains") : nil
            emit("contains", .contains(try child("contains"), min: minimum, max: maximum))
        }
    }

    private mutating func buildLogic() throws(SchemaError) {
        if let refs = try schemaArray("allOf") { emit("allOf", .allOf(refs)) }
        if let refs = try schemaArray("anyOf") { emit("anyOf", .anyOf(refs)) }
        if let refs = try schemaArray("oneOf") { emit("oneOf", .oneOf(refs)) }
        if object["not"] != nil { emit("not", .not(try child("not"))) }
        if object["if"] != nil {
            let thenRef = object["then"] != nil ? try child("then") : nil
            let elseRef = object["else"] != nil ? try child("else") : nil
            if thenRef != nil || elseRef != nil {
                emit("if", .conditional(if: try child("if"), then: thenRef, else: elseRef))
            } else if scope.dialect == .draft2020_12 {
                // `if` alone still yields annotations (for unevaluated*) when it passes.
                emit("if", .conditional(if: try child("if"), then: nil, else: nil))
            }
        }
    }
}
