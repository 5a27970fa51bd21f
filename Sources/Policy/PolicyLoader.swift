/// Reads the three policy levels from files and builds a ``PolicyEngine``.
///
/// A missing file is fine (that level has no rules); a file that exists but cannot be read is
/// `POLICY_UNREADABLE`, and one that is not a valid policy is `POLICY_INVALID`, naming the file and
/// the JSON path inside it. Where the files live is the caller's choice (the executor's configuration).
public struct PolicyLoader: Sendable {
    /// A loader.
    public init() {}

    /// Loads the policies at the given paths (nil: no policy at that level).
    ///
    /// - Parameters:
    ///   - workspace: The workspace policy file (narrowest).
    ///   - project: The project policy file.
    ///   - user: The user policy file (widest).
    /// - Returns: An engine over the policies found.
    /// - Throws: The first `POLICY_UNREADABLE` or `POLICY_INVALID` error, narrowest level first.
    public func load(workspace: String?, project: String?, user: String?) throws(PolicyError) -> PolicyEngine {
        PolicyEngine(
            workspace: try workspace.flatMap { p throws(PolicyError) in try loadFile(at: p) },
            project: try project.flatMap { p throws(PolicyError) in try loadFile(at: p) },
            user: try user.flatMap { p throws(PolicyError) in try loadFile(at: p) })
    }

    /// Loads one policy file.
    ///
    /// - Parameter path: The file.
    /// - Returns: The policy, or nil when no file exists at `path`.
    /// - Throws: `POLICY_UNREADABLE` or `POLICY_INVALID` naming `path` (and the JSON path inside it).
    public func loadFile(at path: String) throws(PolicyError) -> PolicyFile? {
        switch try PolicyFileReader.read(path, limit: PolicyFile.maximumBytes) {
        case .missing: return nil
        case .contents(let bytes): return try PolicyFile(bytes: bytes, path: path)
        }
    }
}
