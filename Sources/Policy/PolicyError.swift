import JSON
/// Why a policy could not be loaded or an approval could not be looked up.
///
/// `code` is stable (it is what callers and the wire match on); `message` is for humans and always
/// says what was expected. Errors about a file name the file (`path`) and, for content problems, the
/// place inside it (`jsonPath`, or `line`/`column` when the text is not JSON at all).
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code (`POLICY_INVALID`, …).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code as it appears on the wire.
        public var rawValue: String
        /// A code from its wire spelling.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The wire spelling.
        public var description: String { rawValue }

        /// A policy file is not valid: not JSON, an unknown field, a wrong type, a bad value.
        public static let invalid = Code(rawValue: "POLICY_INVALID")
        /// A policy file exists but cannot be read (permissions, a directory, an I/O error, too large).
        public static let unreadable = Code(rawValue: "POLICY_UNREADABLE")
        /// The approval store failed to answer.
        public static let approvalStoreFailed = Code(rawValue: "APPROVAL_STORE_FAILED")
    }

    /// The stable code.
    public var code: Code
    /// What went wrong and what was expected, without the location prefix.
    public var message: String
    /// The policy file concerned, when there is one.
    public var path: String?
    /// Where inside the document the problem is (the root for whole-document problems).
    public var jsonPath: JSONPointer?
    /// 1-based line, for text that is not valid JSON.
    public var line: Int?
    /// 1-based column (bytes), for text that is not valid JSON.
    public var column: Int?
    /// The `errno` of a failed system call, when that is the cause.
    public var errno: Int32?

    /// An error with every detail spelled out.
    ///
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What went wrong and what was expected.
    ///   - path: The file concerned.
    ///   - jsonPath: The place inside the document.
    ///   - line: 1-based line of a syntax error.
    ///   - column: 1-based column of a syntax error.
    ///   - errno: The errno of a failed system call.
    public init(
        code: Code, message: String, path: String? = nil, jsonPath: JSONPointer? = nil, line: Int? = nil,
        column: Int? = nil, errno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.jsonPath = jsonPath
        self.line = line
        self.column = column
        self.errno = errno
    }

    /// `POLICY_INVALID: /ws/policy.json: grants[0].effect: expected "allow" or "deny", found "maybe"`.
    public var description: String {
        var out = code.rawValue + ": "
        if let path { out += path + ": " }
        if let line, let column { out += "line \(line), column \(column): " }
        if let jsonPath { out += jsonPath.dotted + ": " }
        return out + message
    }
}
