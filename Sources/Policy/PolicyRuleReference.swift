/// Where a setting came from: a level and the file that level was read from.
public struct PolicySource: Sendable, Hashable, CustomStringConvertible {
    /// The level.
    public var level: PolicyLevel
    /// The policy file's path (or the name it was given).
    public var path: String

    /// A source.
    ///
    /// - Parameters:
    ///   - level: The level.
    ///   - path: The file.
    public init(level: PolicyLevel, path: String) {
        self.level = level
        self.path = path
    }

    /// `user policy (/home/a/.config/omega/policy.json)`.
    public var description: String { "\(level) policy (\(path))" }
}

/// One grant, cited: which level and file it is in, its index in `grants`, what it says.
public struct PolicyRuleReference: Sendable, Hashable, CustomStringConvertible {
    /// Where the grant is.
    public var source: PolicySource
    /// Its index in the file's `grants` array.
    public var grantIndex: Int
    /// The scope it is about.
    public var scope: String
    /// Allow or deny.
    public var effect: PolicyEffect
    /// The glob that matched the tool, or nil when the grant covers every tool.
    public var toolGlob: String?
    /// The grant's `reason`, if it has one.
    public var reason: String?

    /// A reference.
    ///
    /// - Parameters:
    ///   - source: Level and file.
    ///   - grantIndex: Index in `grants`.
    ///   - scope: The grant's scope.
    ///   - effect: The grant's effect.
    ///   - toolGlob: The glob that matched, nil for "every tool".
    ///   - reason: The grant's reason.
    public init(
        source: PolicySource, grantIndex: Int, scope: String, effect: PolicyEffect, toolGlob: String?, reason: String?
    ) {
        self.source = source
        self.grantIndex = grantIndex
        self.scope = scope
        self.effect = effect
        self.toolGlob = toolGlob
        self.reason = reason
    }

    /// The level the grant is at.
    public var level: PolicyLevel { source.level }
    /// The file the grant is in.
    public var path: String { source.path }

    /// `project policy (/p/policy.json) grants[2]: deny write_files for tools "web.*" ("no writes here")`.
    public var description: String {
        var out = "\(source) grants[\(grantIndex)]: \(effect) \(scope) "
        out += toolGlob.map { "for tools \"\($0)\"" } ?? "for every tool"
        if let reason, !reason.isEmpty { out += " (\"\(reason)\")" }
        return out
    }
}
