import JSON
/// The compiled keywords: one final class per keyword kind, so validation dispatches once per
/// keyword and reads its operands in place (no enum payload copies on the hot path).
class Keyword: @unchecked Sendable {
    /// The keyword's location in its document.
    let path: JSONPointer

    init(path: JSONPointer) { self.path = path }

    /// Applies the keyword to `instance`; see ``SchemaEvaluator/evaluate(_:_:report:collect:_:)``.
    func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        fatalError("abstract")
    }

    /// The class for a compiled operation.
    static func make(_ op: Op, path: JSONPointer) -> Keyword {
        switch op {
        case .type(let types):
            return KType(path: path, types: types)
        case .const(let value):
            return KConst(path: path, value: value)
        case .enumeration(let values):
            return KEnumeration(path: path, values: values)
        case .multipleOf(let divisor):
            return KMultipleOf(path: path, divisor: divisor)
        case .maximum(let limit):
            return KMaximum(path: path, limit: limit)
        case .exclusiveMaximum(let limit):
            return KExclusiveMaximum(path: path, limit: limit)
        case .minimum(let limit):
            return KMinimum(path: path, limit: limit)
        case .exclusiveMinimum(let limit):
            return KExclusiveMinimum(path: path, limit: limit)
        case .maxLength(let maximum):
            return KMaxLength(path: path, maximum: maximum)
        case .minLength(let minimum):
            return KMinLength(path: path, minimum: minimum)
        case .pattern(let regex):
            return KPattern(path: path, regex: regex)
        case .format(let kind, let name):
            return KFormat(path: path, kind: kind, name: name)
        case .maxItems(let maximum):
            return KMaxItems(path: path, maximum: maximum)
        case .minItems(let minimum):
            return KMinItems(path: path, minimum: minimum)
        case .uniqueItems:
            return KUniqueItems(path: path)
        case .maxProperties(let maximum):
            return KMaxProperties(path: path, maximum: maximum)
        case .minProperties(let minimum):
            return KMinProperties(path: path, minimum: minimum)
        case .required(let names):
            return KRequired(path: path, names: names)
        case .dependentRequired(let pairs):
            return KDependentRequired(path: path, pairs: pairs)
        case .members(let keywords):
            return KMembers(path: path, keywords: keywords)
        case .propertyNames(let ref):
            return KPropertyNames(path: path, ref: ref)
        case .dependentSchemas(let pairs):
            return KDependentSchemas(path: path, pairs: pairs)
        case .prefixItems(let refs):
            return KPrefixItems(path: path, refs: refs)
        case .items(let ref, let start):
            return KItems(path: path, ref: ref, start: start)
        case .contains(let ref, let minimum, let maximum):
            return KContains(path: path, ref: ref, minimum: minimum, maximum: maximum)
        case .allOf(let refs):
            return KAllOf(path: path, refs: refs)
        case .anyOf(let refs):
            return KAnyOf(path: path, refs: refs)
        case .oneOf(let refs):
            return KOneOf(path: path, refs: refs)
        case .not(let ref):
            return KNot(path: path, ref: ref)
        case .conditional(let condition, let then, let otherwise):
            return KConditional(path: path, condition: condition, then: then, otherwise: otherwise)
        case .ref(let target):
            return KRef(path: path, target: target)
        case .dynamicRef(let target, let anchor):
            return KDynamicRef(path: path, target: target, anchor: anchor)
        case .unevaluatedProperties(let ref):
            return KUnevaluatedProperties(path: path, ref: ref)
        case .unevaluatedItems(let ref):
            return KUnevaluatedItems(path: path, ref: ref)
        }
    }
}

final class KType: Keyword, @unchecked Sendable {
    let types: TypeSet

    init(path: JSONPointer, types: TypeSet) {
        self.types = types
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        let ok: Bool
        switch instance {
        case .null: ok = types.contains(.null)
        case .bool: ok = types.contains(.boolean)
        case .string: ok = types.contains(.string)
        case .array: ok = types.contains(.array)
        case .object: ok = types.contains(.object)
        case .integer: ok = types.contains(.integer) || types.contains(.number)
        case .number(let d):
            ok = types.contains(.number) || (types.contains(.integer) && d.rounded() == d && d.isFinite)
        }
        if !ok && report { e.fail(path, "expected \(types.phrase), got \(SchemaEvaluator.describe(instance))") }
        return ok
    }
}

final class KConst: Keyword, @unchecked Sendable {
    let value: JSONValue

    init(path: JSONPointer, value: JSONValue) {
        self.value = value
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        if SchemaEvaluator.equal(instance, value) { return true }
        if report { e.fail(path, "expected \(SchemaEvaluator.quote(value))") }
        return false
    }
}

final class KEnumeration: Keyword, @unchecked Sendable {
    let values: [JSONValue]

    init(path: JSONPointer, values: [JSONValue]) {
        self.values = values
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        if values.contains(where: { SchemaEvaluator.equal($0, instance) }) { return true }
        if report {
            e.fail(path, "expected one of \(values.prefix(10).map(SchemaEvaluator.quote).joined(separator: ", "))\(values.count > 10 ? ", …" : "")")
        }
        return false
    }
}

final class KMultipleOf: Keyword, @unchecked Sendable {
    let divisor: NumericLimit

    init(path: JSONPointer, divisor: NumericLimit) {
        self.divisor = divisor
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard instance.doubleValue != nil, !SchemaEvaluator.isMultiple(instance, of: divisor) else { return true }
        if report { e.fail(path, "expected a multiple of \(divisor.text)") }
        return false
    }
}

final class KMaximum: Keyword, @unchecked Sendable {
    let limit: NumericLimit

    init(path: JSONPointer, limit: NumericLimit) {
        self.limit = limit
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard let c = limit.compare(instance), c > 0 else { return true }
        if report { e.fail(path, "expected at most \(limit.text)") }
        return false
    }
}

final class KExclusiveMaximum: Keyword, @unchecked Sendable {
    let limit: NumericLimit

    init(path: JSONPointer, limit: NumericLimit) {
        self.limit = limit
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard let c = limit.compare(instance), c >= 0 else { return true }
        if report { e.fail(path, "expected less than \(limit.text)") }
        return false
    }
}

final class KMinimum: Keyword, @unchecked Sendable {
    let limit: NumericLimit

    init(path: JSONPointer, limit: NumericLimit) {
        self.limit = limit
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard let c = limit.compare(instance), c < 0 else { return true }
        if report { e.fail(path, "expected at least \(limit.text)") }
        return false
    }
}

final class KExclusiveMinimum: Keyword, @unchecked Sendable {
    let limit: NumericLimit

    init(path: JSONPointer, limit: NumericLimit) {
        self.limit = limit
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard let c = limit.compare(instance), c <= 0 else { return true }
        if report { e.fail(path, "expected more than \(limit.text)") }
        return false
    }
}

final class KMaxLength: Keyword, @unchecked Sendable {
    let maximum: Int

    init(path: JSONPointer, maximum: Int) {
        self.maximum = maximum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .string(let s) = instance, s.utf8.count > maximum, s.unicodeScalars.count > maximum else {
            return true
        }
        if report { e.fail(path, "expected at most \(maximum) characters, got \(s.unicodeScalars.count)") }
        return false
    }
}

final class KMinLength: Keyword, @unchecked Sendable {
    let minimum: Int

    init(path: JSONPointer, minimum: Int) {
        self.minimum = minimum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .string(let s) = instance, s.utf8.count / 4 < minimum, s.unicodeScalars.count < minimum else {
            return true
        }
        if report { e.fail(path, "expected at least \(minimum) characters, got \(s.unicodeScalars.count)") }
        return false
    }
}

final class KPattern: Keyword, @unchecked Sendable {
    let regex: ECMARegex

    init(path: JSONPointer, regex: ECMARegex) {
        self.regex = regex
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .string(let s) = instance, !regex.matches(s) else { return true }
        if report { e.fail(path, "expected a string matching the pattern \(SchemaEvaluator.quote(.string(regex.source)))") }
        return false
    }
}

final class KFormat: Keyword, @unchecked Sendable {
    let kind: FormatChecker.Kind
    let name: String

    init(path: JSONPointer, kind: FormatChecker.Kind, name: String) {
        self.kind = kind
        self.name = name
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .string(let s) = instance, !FormatChecker.check(kind, s) else { return true }
        if report { e.fail(path, "expected a valid \(name), got \(SchemaEvaluator.quote(instance))") }
        return false
    }
}

final class KMaxItems: Keyword, @unchecked Sendable {
    let maximum: Int

    init(path: JSONPointer, maximum: Int) {
        self.maximum = maximum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance, items.count > maximum else { return true }
        if report { e.fail(path, "expected at most \(maximum) items, got \(items.count)") }
        return false
    }
}

final class KMinItems: Keyword, @unchecked Sendable {
    let minimum: Int

    init(path: JSONPointer, minimum: Int) {
        self.minimum = minimum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance, items.count < minimum else { return true }
        if report { e.fail(path, "expected at least \(minimum) items, got \(items.count)") }
        return false
    }
}

final class KUniqueItems: Keyword, @unchecked Sendable {
    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance, items.count > 1 else { return true }
        guard let (first, second) = SchemaEvaluator.duplicate(in: items) else { return true }
        if report { e.fail(path, "expected unique items, but items \(first) and \(second) are equal") }
        return false
    }
}

final class KMaxProperties: Keyword, @unchecked Sendable {
    let maximum: Int

    init(path: JSONPointer, maximum: Int) {
        self.maximum = maximum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance, members.count > maximum else { return true }
        if report { e.fail(path, "expected at most \(maximum) properties, got \(members.count)") }
        return false
    }
}

final class KMinProperties: Keyword, @unchecked Sendable {
    let minimum: Int

    init(path: JSONPointer, minimum: Int) {
        self.minimum = minimum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance, members.count < minimum else { return true }
        if report { e.fail(path, "expected at least \(minimum) properties, got \(members.count)") }
        return false
    }
}

final class KRequired: Keyword, @unchecked Sendable {
    let names: [String]

    init(path: JSONPointer, names: [String]) {
        self.names = names
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        for name in names where members[name] == nil {
            ok = false
            guard report else { return false }
            e.fail(path, "missing required property \(SchemaEvaluator.quote(.string(name)))")
        }
        return ok
    }
}

final class KDependentRequired: Keyword, @unchecked Sendable {
    let pairs: [(String, [String])]

    init(path: JSONPointer, pairs: [(String, [String])]) {
        self.pairs = pairs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        for (key, names) in pairs where members[key] != nil {
            for name in names where members[name] == nil {
                ok = false
                guard report else { return false }
                e.fail(path, "missing property \(SchemaEvaluator.quote(.string(name))), required when \(SchemaEvaluator.quote(.string(key))) is present")
            }
        }
        return ok
    }
}

final class KMembers: Keyword, @unchecked Sendable {
    let keywords: MemberKeywords

    init(path: JSONPointer, keywords: MemberKeywords) {
        self.keywords = keywords
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        let hasProperties = !keywords.properties.isEmpty
        for (key, value) in members {
            var matched = false
            if hasProperties, let ref = keywords.property(key) {
                matched = true
                if collect { annotations.properties.insert(key) }
                if !e.evaluate(ref.node, value, at: .key(key), report: report) {
                    ok = false
                    if !report { return false }
                }
            }
            for (regex, ref) in keywords.patterns where regex.matches(key) {
                matched = true
                if collect { annotations.properties.insert(key) }
                if !e.evaluate(ref.node, value, at: .key(key), report: report) {
                    ok = false
                    if !report { return false }
                }
            }
            guard !matched, let additional = keywords.additional else { continue }
            if case .alwaysInvalid = additional.node.kind {
                ok = false
                guard report else { return false }
                e.fail(keywords.additionalPath, at: .key(key), "unexpected property \(SchemaEvaluator.quote(.string(key))) (additional properties are not allowed)")
            } else if !e.evaluate(additional.node, value, at: .key(key), report: report) {
                ok = false
                if !report { return false }
            }
        }
        if collect && keywords.additional != nil { annotations.allProperties = true }
        return ok
    }
}

final class KPropertyNames: Keyword, @unchecked Sendable {
    let ref: NodeRef

    init(path: JSONPointer, ref: NodeRef) {
        self.ref = ref
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        for key in members.keys {
            var ignored = Annotations()
            if !e.evaluate(ref.node, .string(key), report: false, collect: false, &ignored) {
                ok = false
                guard report else { return false }
                e.fail(path, "property name \(SchemaEvaluator.quote(.string(key))) does not match the propertyNames schema")
            }
        }
        return ok
    }
}

final class KDependentSchemas: Keyword, @unchecked Sendable {
    let pairs: [(String, NodeRef)]

    init(path: JSONPointer, pairs: [(String, NodeRef)]) {
        self.pairs = pairs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        for (key, ref) in pairs where members[key] != nil {
            if !e.evaluate(ref.node, instance, report: report, collect: collect, &annotations) {
                ok = false
                if !report { return false }
            }
        }
        return ok
    }
}

final class KPrefixItems: Keyword, @unchecked Sendable {
    let refs: [NodeRef]

    init(path: JSONPointer, refs: [NodeRef]) {
        self.refs = refs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance else { return true }
        var ok = true
        let n = min(items.count, refs.count)
        for i in 0..<n where !e.evaluate(refs[i].node, items[i], at: .index(i), report: report) {
            ok = false
            if !report { return false }
        }
        if collect { annotations.itemPrefix = max(annotations.itemPrefix, n) }
        return ok
    }
}

final class KItems: Keyword, @unchecked Sendable {
    let ref: NodeRef
    let start: Int

    init(path: JSONPointer, ref: NodeRef, start: Int) {
        self.ref = ref
        self.start = start
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance, items.count > start else { return true }
        var ok = true
        for i in start..<items.count {
            if case .alwaysInvalid = ref.node.kind {
                ok = false
                guard report else { return false }
                e.fail(path, at: .index(i), "unexpected item (at most \(start) items are allowed)")
            } else if !e.evaluate(ref.node, items[i], at: .index(i), report: report) {
                ok = false
                if !report { return false }
            }
        }
        if collect { annotations.allItems = true }
        return ok
    }
}

final class KContains: Keyword, @unchecked Sendable {
    let ref: NodeRef
    let minimum: Int
    let maximum: Int?

    init(path: JSONPointer, ref: NodeRef, minimum: Int, maximum: Int?) {
        self.ref = ref
        self.minimum = minimum
        self.maximum = maximum
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance else { return true }
        var matches = 0
        for (i, item) in items.enumerated() {
            var ignored = Annotations()
            e.path.append(.index(i))
            let matched = e.evaluate(ref.node, item, report: false, collect: false, &ignored)
            e.path.removeLast()
            if matched {
                matches += 1
                if collect { annotations.itemIndices.insert(i) }
                if !collect && maximum == nil && matches >= minimum { break }
                if let maximum, matches > maximum, !collect { break }
            }
        }
        if matches < minimum {
            if report { e.fail(path, minimum == 1 ? "expected at least one item matching the contains schema" : "expected at least \(minimum) items matching the contains schema, got \(matches)") }
            return false
        }
        if let maximum, matches > maximum {
            if report { e.fail(path, "expected at most \(maximum) items matching the contains schema") }
            return false
        }
        return true
    }
}

final class KAllOf: Keyword, @unchecked Sendable {
    let refs: [NodeRef]

    init(path: JSONPointer, refs: [NodeRef]) {
        self.refs = refs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var ok = true
        for ref in refs where !e.evaluate(ref.node, instance, report: report, collect: collect, &annotations) {
            ok = false
            if !report { return false }
        }
        return ok
    }
}

final class KAnyOf: Keyword, @unchecked Sendable {
    let refs: [NodeRef]

    init(path: JSONPointer, refs: [NodeRef]) {
        self.refs = refs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var ok = false
        for ref in refs {
            if e.evaluate(ref.node, instance, report: false, collect: collect, &annotations) {
                ok = true
                if !collect { break }
            }
        }
        if !ok && report { e.fail(path, "expected the value to match at least one of the anyOf schemas") }
        return ok
    }
}

final class KOneOf: Keyword, @unchecked Sendable {
    let refs: [NodeRef]

    init(path: JSONPointer, refs: [NodeRef]) {
        self.refs = refs
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var matched: [Int] = []
        var candidate = Annotations()
        for (i, ref) in refs.enumerated() {
            var branch = Annotations()
            if e.evaluate(ref.node, instance, report: false, collect: collect, &branch) {
                matched.append(i)
                candidate = branch
                if matched.count > 1 { break }
            }
        }
        if matched.count == 1 {
            if collect { annotations.merge(candidate) }
            return true
        }
        if report {
            e.fail(path, matched.isEmpty
                ? "expected the value to match exactly one of the oneOf schemas, it matches none"
                : "expected the value to match exactly one of the oneOf schemas, it matches \(matched[0]) and \(matched[1])")
        }
        return false
    }
}

final class KNot: Keyword, @unchecked Sendable {
    let ref: NodeRef

    init(path: JSONPointer, ref: NodeRef) {
        self.ref = ref
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var ignored = Annotations()
        guard e.evaluate(ref.node, instance, report: false, collect: false, &ignored) else { return true }
        if report { e.fail(path, "expected the value not to match the not schema") }
        return false
    }
}

final class KConditional: Keyword, @unchecked Sendable {
    let condition: NodeRef
    let then: NodeRef?
    let otherwise: NodeRef?

    init(path: JSONPointer, condition: NodeRef, then: NodeRef?, otherwise: NodeRef?) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var conditionAnnotations = Annotations()
        if e.evaluate(condition.node, instance, report: false, collect: collect, &conditionAnnotations) {
            if collect { annotations.merge(conditionAnnotations) }
            guard let then else { return true }
            return e.evaluate(then.node, instance, report: report, collect: collect, &annotations)
        }
        guard let otherwise else { return true }
        return e.evaluate(otherwise.node, instance, report: report, collect: collect, &annotations)
    }
}

final class KRef: Keyword, @unchecked Sendable {
    let target: NodeRef

    init(path: JSONPointer, target: NodeRef) {
        self.target = target
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        return e.follow(target.node, instance, path, report: report, collect: collect, &annotations)
    }
}

final class KDynamicRef: Keyword, @unchecked Sendable {
    let target: NodeRef
    let anchor: String

    init(path: JSONPointer, target: NodeRef, anchor: String) {
        self.target = target
        self.anchor = anchor
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        var node = target.node
        for resource in e.scope {
            if let dynamic = e.program.dynamicAnchors[resource][anchor] {
                node = dynamic.node
                break
            }
        }
        return e.follow(node, instance, path, report: report, collect: collect, &annotations)
    }
}

final class KUnevaluatedProperties: Keyword, @unchecked Sendable {
    let ref: NodeRef

    init(path: JSONPointer, ref: NodeRef) {
        self.ref = ref
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .object(let members) = instance else { return true }
        var ok = true
        for (key, value) in members where !annotations.evaluated(property: key) {
            if case .alwaysInvalid = ref.node.kind {
                ok = false
                guard report else { return false }
                e.fail(path, at: .key(key), "unexpected property \(SchemaEvaluator.quote(.string(key))) (unevaluated properties are not allowed)")
            } else if !e.evaluate(ref.node, value, at: .key(key), report: report) {
                ok = false
                if !report { return false }
            }
        }
        if ok { annotations.allProperties = true }
        return ok
    }
}

final class KUnevaluatedItems: Keyword, @unchecked Sendable {
    let ref: NodeRef

    init(path: JSONPointer, ref: NodeRef) {
        self.ref = ref
        super.init(path: path)
    }

    override func apply(_ e: inout SchemaEvaluator, _ instance: JSONValue, report: Bool, collect: Bool,
        _ annotations: inout Annotations) -> Bool
    {
        guard case .array(let items) = instance else { return true }
        var ok = true
        for (i, item) in items.enumerated() where !annotations.evaluated(item: i) {
            if case .alwaysInvalid = ref.node.kind {
                ok = false
                guard report else { return false }
                e.fail(path, at: .index(i), "unexpected item (unevaluated items are not allowed)")
            } else if !e.evaluate(ref.node, item, at: .index(i), report: report) {
                ok = false
                if !report { return false }
            }
        }
        if ok { annotations.allItems = true }
        return ok
    }
}
