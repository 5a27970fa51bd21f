/// The three places policy comes from, narrowest first: a workspace's policy beats its project's,
/// which beats the user's.
public enum PolicyLevel: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// The workspace a run works in (narrowest).
    case workspace
    /// The project the workspace belongs to.
    case project
    /// The user's own policy (widest).
    case user

    /// Narrowest first: `workspace < project < user`. `allCases` has the same order, which is the
    /// order the engine consults the levels in.
    public static func < (lhs: PolicyLevel, rhs: PolicyLevel) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .workspace: return 0
        case .project: return 1
        case .user: return 2
        }
    }

    /// `workspace`, `project` or `user`.
    public var description: String { rawValue }
}
