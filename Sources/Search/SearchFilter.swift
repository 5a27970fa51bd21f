/// Which documents a search may return: by binding, risk level and scopes (static attributes of the
/// index), and by explicit sets of documents (a caller's own rules, e.g. documents an overlay replaces).
public struct SearchFilter: Sendable {
    /// Only these bindings (nil: any, including unknown).
    public var bindings: Set<DocumentAttributes.Binding>?
    /// Only these risk levels (nil: any, including unknown).
    public var risks: Set<DocumentAttributes.Risk>?
    /// Only documents holding every one of these scopes.
    public var scopes: [String]
    /// Documents never returned.
    public var excluded: Bitset?
    /// When set, only these documents.
    public var allowed: Bitset?

    /// A filter (the default lets everything through).
    public init(
        bindings: Set<DocumentAttributes.Binding>? = nil, risks: Set<DocumentAttributes.Risk>? = nil,
        scopes: [String] = [], excluded: Bitset? = nil, allowed: Bitset? = nil
    ) {
        self.bindings = bindings
        self.risks = risks
        self.scopes = scopes
        self.excluded = excluded
        self.allowed = allowed
    }

    /// Whether a document with `attributes` and `scopes` passes the binding, risk and scope parts of
    /// the filter (its document sets aside): the rule a search applies, for a document outside an index.
    public func admits(_ attributes: DocumentAttributes, scopes: [String]) -> Bool {
        if let bindings, !(attributes.binding.map(bindings.contains) ?? false) { return false }
        if let risks, !(attributes.risk.map(risks.contains) ?? false) { return false }
        return self.scopes.allSatisfy(scopes.contains)
    }

    /// Whether the filter lets everything through.
    public var isEmpty: Bool {
        bindings == nil && risks == nil && scopes.isEmpty && excluded == nil && allowed == nil
    }
}

/// A filter resolved against one index: masks over the attribute bits and one set of allowed documents.
struct CompiledFilter {
    let bindingMask: UInt32
    let riskMask: UInt32
    let allowed: Bitset?
    let excluded: Bitset?
    let passesAll: Bool
    /// Whether the filter can reject many documents (attributes, scopes, an allowed set): then it is
    /// worth testing before a candidate is scored. A filter of excluded documents only (a few shadowed
    /// tools) is tested when a candidate would enter the top k, which costs nothing for the others.
    let isSelective: Bool

    init(_ filter: SearchFilter, index: SearchIndex) {
        bindingMask = filter.bindings.map { set in set.reduce(0) { $0 | (1 << $1.rawValue) } } ?? ~0
        riskMask = filter.risks.map { set in set.reduce(0) { $0 | (1 << $1.rawValue) } } ?? ~0
        var allowed = filter.allowed
        for scope in filter.scopes {
            let documents = index.documents(withScope: scope)
            if allowed == nil {
                allowed = documents
            } else {
                allowed!.formIntersection(documents)
            }
        }
        self.allowed = allowed
        excluded = filter.excluded.flatMap { $0.isEmpty ? nil : $0 }
        passesAll = bindingMask == ~0 && riskMask == ~0 && allowed == nil && excluded == nil
        isSelective = bindingMask != ~0 || riskMask != ~0 || allowed != nil
    }

    @inline(__always)
    func passes(_ document: UInt32, attributes: UInt32) -> Bool {
        if passesAll { return true }
        guard bindingMask & (1 << (attributes & 0b111)) != 0, riskMask & (1 << ((attributes >> 3) & 0b11)) != 0
        else { return false }
        if let allowed, !allowed.contains(document) { return false }
        if let excluded, excluded.contains(document) { return false }
        return true
    }
}
