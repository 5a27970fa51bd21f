import JSON
/// What in-place applicators report to `unevaluatedProperties`/`unevaluatedItems`: which properties
/// and items of the current instance some successful keyword has evaluated.
struct Annotations {
    var allProperties = false
    var properties: Set<String> = []
    var allItems = false
    var itemPrefix = 0
    var itemIndices: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        if other.allProperties { allProperties = true } else if !other.properties.isEmpty { properties.formUnion(other.properties) }
        if other.allItems { allItems = true }
        itemPrefix = max(itemPrefix, other.itemPrefix)
        if !other.itemIndices.isEmpty { itemIndices.formUnion(other.itemIndices) }
    }

    func evaluated(property: String) -> Bool { allProperties || properties.contains(property) }
    func evaluated(item: Int) -> Bool { allItems || item < itemPrefix || itemIndices.contains(item) }
}

/// One instance-path step.
enum PathToken {
    case key(String)
    case index(Int)
}

/// The state of one validation: errors, the instance path (kept as a stack, turned into a pointer only
/// for an error), the dynamic scope for `$dynamicRef`, the `$ref` stack for cycle detection and a
/// step budget, so no schema can make validation run away.
struct SchemaEvaluator {
    /// Node evaluations allowed per validation before it is abandoned as runaway.
    static let stepBudget = 5_000_000
    /// Deepest evaluation nesting allowed.
    static let maximumDepth = 1000

    let program: SchemaProgram
    let maximumErrors: Int
    var errors: [ValidationError] = []
    var path: [PathToken] = []
    var scope: [Int] = []
    private var refs: [(ObjectIdentifier, Int)] = []
    private var steps = 0
    private var depth = 0
    private var aborted = false

    init(program: SchemaProgram, maximumErrors: Int) {
        self.program = program
        self.maximumErrors = max(1, maximumErrors)
        path.reserveCapacity(16)
        scope.reserveCapacity(8)
    }

    /// Validates `instance` against the program's root; the errors land in ``errors``.
    mutating func run(_ instance: JSONValue, report: Bool) -> Bool {
        var annotations = Annotations()
        return evaluate(program.root.node, instance, report: report, collect: false, &annotations)
    }

    private var instancePointer: JSONPointer {
        JSONPointer(tokens: path.map { token in
            switch token {
            case .key(let key): return key
            case .index(let index): return String(index)
            }
        })
    }

    mutating func fail(_ schemaPath: JSONPointer, _ message: @autoclosure () -> String) {
        guard errors.count < maximumErrors else { return }
        errors.append(ValidationError(instancePath: instancePointer, schemaPath: schemaPath, message: message()))
    }

    mutating func fail(_ schemaPath: JSONPointer, at token: PathToken, _ message: @autoclosure () -> String) {
        guard errors.count < maximumErrors else { return }
        path.append(token)
        errors.append(ValidationError(instancePath: instancePointer, schemaPath: schemaPath, message: message()))
        path.removeLast()
    }

    private mutating func abort(_ schemaPath: JSONPointer, _ message: String) {
        if !aborted {
            aborted = true
            errors.append(ValidationError(instancePath: instancePointer, schemaPath: schemaPath, message: message))
        }
    }

    /// Evaluates `node` against `instance`. With `report` off it only answers (and stops at the first
    /// failure); with `collect` on it adds the annotations of a successful evaluation to `annotations`.
    mutating func evaluate(_ node: SchemaNode, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        switch node.kind {
        case .alwaysValid: return true
        case .alwaysInvalid:
            if report { fail(node.path, "no value is allowed here (the schema is false)") }
            return false
        case .keywords: break
        }
        if aborted { return false }
        steps &+= 1
        if steps > SchemaEvaluator.stepBudget {
            abort(node.path, "validation abandoned: the schema needs more than \(SchemaEvaluator.stepBudget) steps")
            return false
        }
        if depth >= SchemaEvaluator.maximumDepth {
            abort(node.path, "validation abandoned: nesting deeper than \(SchemaEvaluator.maximumDepth) levels")
            return false
        }
        depth &+= 1
        let pushed = scope.last != node.resource
        if pushed { scope.append(node.resource) }
        let needAnnotations = collect || node.usesUnevaluated
        var local = Annotations()
        var valid = true
        for keyword in node.keywords {
            let report = report && errors.count < maximumErrors
            if !keyword.apply(&self, instance, report: report, collect: needAnnotations, &local) {
                valid = false
                if !report { break }
            }
        }
        if pushed { scope.removeLast() }
        depth &-= 1
        if valid && collect { annotations.merge(local) }
        return valid
    }

    /// Evaluates a child at an instance-path step, without annotations for the parent.
    mutating func evaluate(_ node: SchemaNode, _ instance: JSONValue, at token: PathToken, report: Bool) -> Bool {
        if case .alwaysValid = node.kind { return true }
        path.append(token)
        var ignored = Annotations()
        let valid = evaluate(node, instance, report: report, collect: false, &ignored)
        path.removeLast()
        return valid
    }

    /// Follows a reference, refusing a cycle that comes back to the same schema without consuming
    /// any of the instance (it would recurse forever).
    mutating func follow(_ node: SchemaNode, _ instance: JSONValue, _ keywordPath: JSONPointer, report: Bool,
        collect: Bool, _ annotations: inout Annotations) -> Bool
    {
        let id = ObjectIdentifier(node)
        let here = path.count
        for entry in refs.reversed() {
            if entry.1 != here { break }
            if entry.0 == id {
                if report { fail(keywordPath, "reference cycle: the schema refers back to itself without consuming the instance") }
                return false
            }
        }
        refs.append((id, here))
        let valid = evaluate(node, instance, report: report, collect: collect, &annotations)
        refs.removeLast()
        return valid
    }

    // MARK: helpers

    static func isMultiple(_ value: JSONValue, of divisor: NumericLimit) -> Bool {
        if case .integer(let i) = value, let d = divisor.integer, d != 0 {
            let (remainder, overflow) = i.remainderReportingOverflow(dividingBy: d)
            return overflow || remainder == 0
        }
        guard let x = value.doubleValue else { return true }
        let quotient = x / divisor.double
        guard quotient.isFinite else { return false }
        let rounded = quotient.rounded()
        return abs(quotient - rounded) <= max(1, abs(quotient)) * 1e-12
    }

    /// The first pair of equal items (JSON equality), if any.
    static func duplicate(in items: [JSONValue]) -> (Int, Int)? {
        if items.count <= 16 {
            for i in 0..<items.count {
                for j in (i + 1)..<items.count where equal(items[i], items[j]) { return (i, j) }
            }
            return nil
        }
        // JSONValue's hash is coarser than `equal` (Swift strings hash by canonical equivalence), so
        // it only buckets; `equal` decides.
        var buckets: [JSONValue: [Int]] = [:]
        for (i, item) in items.enumerated() {
            if let earlier = buckets[item] {
                for first in earlier where equal(items[first], item) { return (first, i) }
            }
            buckets[item, default: []].append(i)
        }
        return nil
    }

    /// JSON equality as JSON Schema defines it: numbers by value (`1 == 1.0`), strings by code
    /// points (not Swift's canonical equivalence: "é" and "e\u{301}" differ), arrays in order,
    /// objects regardless of member order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for i in x.indices where !equal(x[i], y[i]) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y[key], equal(value, other) else { return false }
            }
            return true
        default: return a == b
        }
    }

    /// `a string`, `an integer`, … for messages.
    static func describe(_ value: JSONValue) -> String {
        switch value.typeName {
        case "object": return "an object"
        case "array": return "an array"
        case "integer": return "an integer"
        case "null": return "null"
        case let name: return "a " + name
        }
    }

    /// A value as JSON text, shortened for messages.
    static func quote(_ value: JSONValue) -> String {
        let text = value.jsonText
        if text.unicodeScalars.count <= 80 { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(77))) + "…"
    }
}
