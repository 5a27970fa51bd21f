import JSON
/// One problem found in an `omega.json`: where it is and what was expected there.
public struct ManifestIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where in the manifest the problem is.
    public var pointer: JSONPointer
    /// What was expected, and what was found (`expected a non-empty array of strings, got string`).
    public var message: String

    /// A problem at `pointer`.
    public init(pointer: JSONPointer, message: String) {
        self.pointer = pointer
        self.message = message
    }

    /// The dotted path (`execution.command[0]`; `(root)` for the document itself).
    public var path: String { pointer.dotted }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}

/// An `omega.json` that could not be decoded: every problem found, not just the first.
///
/// The wire code is always `INVALID_MANIFEST`.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stable wire code.
    public static let code = "INVALID_MANIFEST"

    /// The stable wire code, `INVALID_MANIFEST`.
    public var code: String { Self.code }
    /// Every problem, in document order of discovery.
    public var issues: [ManifestIssue]
    /// The manifest file, when the manifest was read from one.
    public var file: String?

    /// An error made of `issues`.
    public init(issues: [ManifestIssue], file: String? = nil) {
        self.issues = issues
        self.file = file
    }

    /// A one-line summary followed by one line per issue.
    public var description: String {
        let header =
            "\(Self.code): \(file ?? "omega.json") is not a valid manifest (\(issues.count) problem\(issues.count == 1 ? "" : "s"))"
        return ([header] + issues.map { "  \($0)" }).joined(separator: "\n")
    }
}
