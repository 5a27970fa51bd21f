import JSON
/// A pattern over tool ids, as written in a grant's `tools` list.
///
/// Tool ids are dotted names (`web.fetch`, `github.issues.create`). A glob is matched segment by
/// segment, and nothing in it is a regular expression:
/// - a segment without `*` matches exactly that segment;
/// - `*` inside a segment matches any run of id characters (`[a-z0-9_-]`), possibly empty, **within
///   that one segment** (it never matches a `.`): `web.*` matches `web.fetch` but not
///   `web.search.news`, `web*` does not match `web.fetch`, and `*` alone matches only one-segment ids;
/// - `**` as a whole segment matches one or more whole segments: `github.**` matches
///   `github.issues.create` but not `github` or `githubx.a`; `**` alone matches every tool (the same as
///   leaving `tools` out).
///
/// A glob is 1–256 bytes of lowercase letters, digits, `_`, `-`, `.` and `*`, with no empty segment;
/// `**` mixed with other characters in a segment (`a**`, `***`) is rejected, as is anything else (regex
/// or shell metacharacters, `/`, spaces, uppercase), so a pattern never means more than it appears to.
/// Only well-formed ids match anything: an id with an empty segment or a byte outside
/// `[a-z0-9_-.]` (uppercase, `/`, spaces, non-ASCII) matches no glob. Matching is polynomial in the
/// sizes involved (no backtracking blow-up).
public struct PolicyToolGlob: Sendable, Hashable, CustomStringConvertible {
    /// Longest glob accepted, in bytes.
    public static let maximumLength = 256

    private enum Segment: Sendable, Hashable {
        /// `**`: one or more whole segments.
        case anySegments
        /// Literal bytes and `*` (matched within one segment).
        case pattern([UInt8])
    }

    /// The glob as written.
    public let text: String
    private let segments: [Segment]

    /// Parses a glob, or explains why it is not one.
    ///
    /// - Parameter text: The glob as written in the policy file.
    /// - Returns: The glob, or (as `.failure`) what was expected.
    public static func parse(_ text: String) -> Result<PolicyToolGlob, GlobSyntaxError> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(GlobSyntaxError("expected a non-empty tool glob")) }
        guard bytes.count <= maximumLength else {
            return .failure(
                GlobSyntaxError("expected a tool glob of at most \(maximumLength) bytes, found \(bytes.count)"))
        }
        var segments: [Segment] = []
        for raw in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !raw.isEmpty else {
                return .failure(
                    GlobSyntaxError("expected dot-separated non-empty segments (like \"web.*\"), found \"\(text)\""))
            }
            for byte in raw where !PolicyToolGlob.isNameByte(byte) && byte != UInt8(ascii: "*") {
                return .failure(
                    GlobSyntaxError(
                        "expected only lowercase letters, digits, '_', '-', '.' and '*' in a tool glob, found "
                            + "\(PolicyToolGlob.describe(byte)) in \"\(text)\""))
            }
            if raw.elementsEqual("**".utf8) {
                segments.append(.anySegments)
            } else if raw.count >= 2, zip(raw, raw.dropFirst()).contains(where: { $0 == UInt8(ascii: "*") && $1 == $0 })
            {
                return .failure(
                    GlobSyntaxError("expected '**' only as a whole segment (like \"github.**\"), found \"\(text)\""))
            } else {
                segments.append(.pattern(Array(raw)))
            }
        }
        return .success(PolicyToolGlob(text: text, segments: segments))
    }

    private init(text: String, segments: [Segment]) {
        self.text = text
        self.segments = segments
    }

    /// Whether `toolID` matches this glob (byte-exact, case-sensitive).
    ///
    /// - Parameter toolID: A tool id such as `web.fetch`.
    /// - Returns: true when the id matches as described on the type.
    public func matches(_ toolID: String) -> Bool {
        let parts = Array(toolID.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        // Globs only match well-formed ids: no empty segment (`web.*` must not match `web.`), and
        // nothing outside `[a-z0-9_-]` for a `*` to swallow (`web.*` must not match `web.A/..`).
        guard !parts.contains(where: { $0.isEmpty || !$0.allSatisfy(PolicyToolGlob.isNameByte) }) else { return false }
        let p = segments.count
        let n = parts.count
        // reachable[i][j]: the first i glob segments can consume exactly the first j id segments.
        var reachable = [[Bool]](repeating: [Bool](repeating: false, count: n + 1), count: p + 1)
        reachable[0][0] = true
        for i in 0..<p {
            for j in 0...n where reachable[i][j] {
                switch segments[i] {
                case .anySegments:
                    if j < n { for k in (j + 1)...n { reachable[i + 1][k] = true } }
                case .pattern(let pattern):
                    if j < n, PolicyToolGlob.segment(pattern, matches: parts[j]) { reachable[i + 1][j + 1] = true }
                }
            }
        }
        return reachable[p][n]
    }

    /// The glob as written.
    public var description: String { text }

    /// Wildcard match of one segment where `*` is the only special byte (greedy with one
    /// backtrack point: O(pattern × text) in the worst case).
    private static func segment(_ pattern: [UInt8], matches text: ArraySlice<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        let text = Array(text)
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] != star, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == star {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    /// Bytes allowed in a tool id segment: `[a-z0-9_-]`.
    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    /// Whether `id` is a well-formed tool id: 1–256 bytes of dot-separated, non-empty `[a-z0-9_-]+`
    /// segments. The engine denies requests for any other id rather than guess how globs apply to it.
    public static func isValidToolID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0.allSatisfy(isNameByte)
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count < 2 ? "0" + hex : hex)"
    }
}

/// Why a tool glob was rejected (what was expected).
public struct GlobSyntaxError: Error, Sendable, Hashable {
    /// What was expected and what was found.
    public var message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
}
