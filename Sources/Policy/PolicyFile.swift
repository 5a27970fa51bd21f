import Egress

/// Whether a grant allows or denies its scope.
public enum PolicyEffect: String, Sendable, Hashable, CustomStringConvertible {
    /// The scope is granted.
    case allow
    /// The scope is refused (beats an `allow` at the same level).
    case deny

    /// `allow` or `deny`.
    public var description: String { rawValue }
}

/// One policy file (one level's rules), decoded strictly. The format is documented in
/// `docs/POLICY.md`:
///
/// ```json
/// { "policyVersion": 1,
///   "grants": [ { "scope": "read_web", "effect": "allow", "tools": ["web.*"], "reason": "…" } ],
///   "elevatedScopes": ["write_github", "send_email"],
///   "safeMode": false, "allowUnsignedPackages": false, "approvalTTLSeconds": 3600,
///   "pins": ["text.stats", "web.fetch@1.2.0"] }
/// ```
///
/// Only `policyVersion` is required. Settings left out say nothing at this level (a wider level, or
/// the default, decides).
public struct PolicyFile: Sendable, Hashable {
    /// The only format version this build reads.
    public static let currentVersion: Int64 = 1
    /// Longest approval lifetime a policy may set (366 days).
    public static let maximumApprovalTTLSeconds: Int64 = 366 * 86_400
    /// Longest scope name accepted, in bytes.
    public static let maximumScopeLength = 64

    /// One rule: a scope, allowed or denied, for every tool or for the tools matching some globs.
    public struct Grant: Sendable, Hashable {
        /// The scope this grant is about (exact name: scopes have no wildcards).
        public var scope: String
        /// Allow or deny.
        public var effect: PolicyEffect
        /// The tools this grant applies to; nil means every tool.
        public var tools: [PolicyToolGlob]?
        /// Why the grant exists (shown in explanations).
        public var reason: String?
        /// The hosts this allow grant opens to the tools it covers (`hosts`, DESIGN §11): what a tool
        /// whose manifest declares `*` may reach, on the ports its `*` rules name. Nil says nothing.
        public var hosts: [EgressRule]?

        /// A grant.
        ///
        /// - Parameters:
        ///   - scope: The scope name.
        ///   - effect: Allow or deny.
        ///   - tools: The tool globs it is limited to; nil for every tool.
        ///   - reason: Why, for explanations.
        ///   - hosts: Hosts an allow grant opens, nil for none.
        public init(
            scope: String, effect: PolicyEffect, tools: [PolicyToolGlob]? = nil, reason: String? = nil,
            hosts: [EgressRule]? = nil
        ) {
            self.scope = scope
            self.effect = effect
            self.tools = tools
            self.reason = reason
            self.hosts = hosts
        }

        /// Whether this grant speaks about `scope` for `toolID`.
        ///
        /// - Parameters:
        ///   - scope: A scope the tool asks for.
        ///   - toolID: The tool's id.
        /// - Returns: true when the scope is this grant's and the tool matches one of its globs (or it has none).
        public func applies(to scope: String, toolID: String) -> Bool {
            guard scope == self.scope else { return false }
            guard let tools else { return true }
            return tools.contains { $0.matches(toolID) }
        }

        /// The first of this grant's globs matching `toolID` (nil when the grant has none).
        func matchingGlob(for toolID: String) -> PolicyToolGlob? { tools?.first { $0.matches(toolID) } }
    }

    /// Where the file came from (shown in explanations and errors).
    public var path: String
    /// A free-text description of the file.
    public var description: String?
    /// The grants, in file order (explanations cite their index).
    public var grants: [Grant]
    /// Scopes that always need approval, whatever grants them.
    public var elevatedScopes: [String]
    /// `true` turns safe mode on (every call needs approval); nil says nothing.
    public var safeMode: Bool?
    /// Whether unsigned packages may be installed; nil says nothing.
    public var allowUnsignedPackages: Bool?
    /// Default lifetime of a new approval, in seconds; nil says nothing.
    public var approvalTTLSeconds: Int64?
    /// Tools this level pins (search lists them first); a narrower level's pin of the same id wins.
    public var pins: [PolicyPin]

    /// A policy built in code (not validated: use ``init(parsing:path:)`` for untrusted text).
    ///
    /// - Parameters:
    ///   - path: A name for explanations (a file path, or something like `<built-in>`).
    ///   - description: Free text.
    ///   - grants: The grants, in order.
    ///   - elevatedScopes: Scopes that need approval.
    ///   - safeMode: Safe mode setting, nil for none.
    ///   - allowUnsignedPackages: Unsigned-package setting, nil for none.
    ///   - approvalTTLSeconds: Approval lifetime, nil for none.
    ///   - pins: Pinned tools.
    public init(
        path: String, description: String? = nil, grants: [Grant] = [], elevatedScopes: [String] = [],
        safeMode: Bool? = nil, allowUnsignedPackages: Bool? = nil, approvalTTLSeconds: Int64? = nil,
        pins: [PolicyPin] = []
    ) {
        self.path = path
        self.description = description
        self.grants = grants
        self.elevatedScopes = elevatedScopes
        self.safeMode = safeMode
        self.allowUnsignedPackages = allowUnsignedPackages
        self.approvalTTLSeconds = approvalTTLSeconds
        self.pins = pins
    }

    /// Whether `name` is a valid scope name: 1–64 bytes, a lowercase letter then lowercase letters,
    /// digits or `_`. There is no wildcard scope: `*` is not a scope name.
    public static func isValidScopeName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maximumScopeLength,
            first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z")
        else { return false }
        return bytes.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "_")
        }
    }
}
