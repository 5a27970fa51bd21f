import JSON
/// One compiled (sub)schema: a boolean schema or a list of instructions, each carrying its keyword's
/// location for error reports. Nodes form a graph (refs may be cyclic); the ``SchemaProgram`` owns
/// them all and the edges are unowned, so a cyclic schema neither leaks nor pays reference counting
/// during validation. Nodes are mutated only while compiling, then never again.
final class SchemaNode: @unchecked Sendable {
    /// `true`/`false` schemas (and `{}`) short-circuit.
    enum Kind { case alwaysValid, alwaysInvalid, keywords }

    var kind: Kind = .keywords
    /// The node's location in its document.
    let path: JSONPointer
    /// Index of the schema resource the node belongs to (for `$dynamicRef`'s dynamic scope).
    var resource = 0
    /// The keywords, with `unevaluated*` last.
    var keywords: [Keyword] = []
    /// True when the node holds `unevaluatedProperties`/`unevaluatedItems` and so needs annotations.
    var usesUnevaluated = false

    init(path: JSONPointer) { self.path = path }
}

/// An unowned edge to a node owned by the program.
struct NodeRef {
    unowned(unsafe) let node: SchemaNode
    init(_ node: SchemaNode) { self.node = node }
}

/// One keyword's check, and where the keyword is (while compiling).
struct Instruction {
    let op: Op
    let path: JSONPointer
}

/// JSON types as bits, for `type`.
struct TypeSet: OptionSet {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1)
    static let boolean = TypeSet(rawValue: 2)
    static let object = TypeSet(rawValue: 4)
    static let array = TypeSet(rawValue: 8)
    static let number = TypeSet(rawValue: 16)
    static let string = TypeSet(rawValue: 32)
    static let integer = TypeSet(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        switch name {
        case "null": self = .null
        case "boolean": self = .boolean
        case "object": self = .object
        case "array": self = .array
        case "number": self = .number
        case "string": self = .string
        case "integer": self = .integer
        default: return nil
        }
    }

    /// `an array or a string`.
    var phrase: String {
        var names: [String] = []
        if contains(.object) { names.append("an object") }
        if contains(.array) { names.append("an array") }
        if contains(.string) { names.append("a string") }
        if contains(.number) { names.append("a number") } else if contains(.integer) { names.append("an integer") }
        if contains(.boolean) { names.append("a boolean") }
        if contains(.null) { names.append("null") }
        if names.count <= 1 { return names.first ?? "nothing" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}

/// A numeric bound, kept exact for integers.
struct NumericLimit {
    let double: Double
    let integer: Int64?

    init?(_ value: JSONValue) {
        switch value {
        case .integer(let i): double = Double(i); integer = i
        case .number(let d):
            double = d
            integer = (d.rounded() == d && abs(d) < 9.2e18) ? Int64(d) : nil
        default: return nil
        }
    }

    /// -1, 0, 1 as `value` compares with the limit (nil for non-numbers).
    func compare(_ value: JSONValue) -> Int? {
        switch value {
        case .integer(let i):
            if let limit = integer { return i < limit ? -1 : (i == limit ? 0 : 1) }
            let d = Double(i)
            return d < double ? -1 : (d == double ? 0 : 1)
        case .number(let d):
            return d < double ? -1 : (d == double ? 0 : 1)
        default: return nil
        }
    }

    var text: String { integer.map { String($0) } ?? String(double) }
}

/// The operations a compiled schema is made of.
enum Op {
    case type(TypeSet)
    case const(JSONValue)
    case enumeration([JSONValue])
    case multipleOf(NumericLimit)
    case maximum(NumericLimit)
    case exclusiveMaximum(NumericLimit)
    case minimum(NumericLimit)
    case exclusiveMinimum(NumericLimit)
    case maxLength(Int)
    case minLength(Int)
    case pattern(ECMARegex)
    case format(FormatChecker.Kind, String)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case maxProperties(Int)
    case minProperties(Int)
    case required([String])
    case dependentRequired([(String, [String])])
    /// `properties`, `patternProperties` and `additionalProperties` together: one pass over the
    /// members, one hash lookup each.
    case members(MemberKeywords)
    case propertyNames(NodeRef)
    case dependentSchemas([(String, NodeRef)])
    case prefixItems([NodeRef])
    case items(NodeRef, from: Int)
    case contains(NodeRef, min: Int, max: Int?)
    case allOf([NodeRef])
    case anyOf([NodeRef])
    case oneOf([NodeRef])
    case not(NodeRef)
    case conditional(if: NodeRef, then: NodeRef?, else: NodeRef?)
    case ref(NodeRef)
    case dynamicRef(NodeRef, anchor: String)
    case unevaluatedProperties(NodeRef)
    case unevaluatedItems(NodeRef)
}

/// Everything one compilation produced: the nodes (owned here) and the dynamic anchors per resource.
final class SchemaProgram: @unchecked Sendable {
    var nodes: [SchemaNode] = []
    /// Resource index → `$dynamicAnchor` name → node.
    var dynamicAnchors: [[String: NodeRef]] = []
    /// Resource URIs, by index (for messages).
    var resourceURIs: [String] = []
    var root: NodeRef!
    var dialect: SchemaDialect = .draft2020_12
}

/// The member applicators of one object schema, evaluated in a single pass.
final class MemberKeywords: @unchecked Sendable {
    let properties: [String: NodeRef]
    let patterns: [(ECMARegex, NodeRef)]
    let additional: NodeRef?
    let additionalPath: JSONPointer

    /// For a handful of properties a length check and byte comparison beat hashing the key.
    private let small: [(name: String, length: Int, ref: NodeRef)]?

    init(properties: [String: NodeRef], patterns: [(ECMARegex, NodeRef)], additional: NodeRef?, additionalPath: JSONPointer) {
        self.properties = properties
        self.small = properties.count <= 12 ? properties.sorted { $0.key < $1.key }.map { ($0.key, $0.key.utf8.count, $0.value) } : nil
        self.patterns = patterns
        self.additional = additional
        self.additionalPath = additionalPath
    }

    /// The `properties` subschema for `key`, if any.
    @inline(__always)
    func property(_ key: String) -> NodeRef? {
        if let small {
            let length = key.utf8.count
            for entry in small where entry.length == length && entry.name == key { return entry.ref }
            return nil
        }
        return properties[key]
    }
}
