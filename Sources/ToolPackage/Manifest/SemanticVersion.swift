import JSON
/// A Semantic Versioning 2.0.0 version: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
///
/// Ordering follows semver precedence: numeric comparison of major, minor and patch; a version with
/// a prerelease ranks below the same version without one; prerelease identifiers compare left to
/// right, numeric identifiers numerically and below alphanumeric ones, a longer list ranking higher
/// when all shared identifiers are equal. Build metadata is ignored by ordering, equality and hashing
/// (`1.0.0+a == 1.0.0+b`), so `==` and `<` agree.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// One dot-separated prerelease identifier.
    public enum PrereleaseIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Digits only (no leading zero), compared numerically.
        case numeric(UInt64)
        /// Letters, digits and hyphens, compared in ASCII order.
        case alphanumeric(String)

        /// The identifier as written.
        public var description: String {
            switch self {
            case .numeric(let n): return String(n)
            case .alphanumeric(let s): return s
            }
        }

        /// Semver rule: numeric identifiers rank below alphanumeric ones.
        public static func < (lhs: Self, rhs: Self) -> Bool {
            switch (lhs, rhs) {
            case (.numeric(let a), .numeric(let b)): return a < b
            case (.numeric, .alphanumeric): return true
            case (.alphanumeric, .numeric): return false
            case (.alphanumeric(let a), .alphanumeric(let b)):
                return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
        }
    }

    /// Incompatible API changes.
    public var major: UInt64
    /// Backwards-compatible features.
    public var minor: UInt64
    /// Backwards-compatible fixes.
    public var patch: UInt64
    /// Prerelease identifiers (`1.0.0-rc.1` → `[rc, 1]`); empty for a release.
    public var prerelease: [PrereleaseIdentifier]
    /// Build metadata identifiers (`+build.5`); ignored by comparison.
    public var build: [String]

    /// The longest version text accepted.
    public static let maximumLength = 256

    /// A version from its parts.
    public init(
        _ major: UInt64, _ minor: UInt64, _ patch: UInt64, prerelease: [PrereleaseIdentifier] = [], build: [String] = []
    ) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses `text`; nil when it is not a semver 2.0 version (see ``problem(in:)`` for why).
    public init?(_ text: String) {
        switch Self.parse(text) {
        case .success(let v): self = v
        case .failure: return nil
        }
    }

    /// Why `text` is not a valid version, or nil when it is one.
    public static func problem(in text: String) -> String? {
        if case .failure(let reason) = parse(text) { return reason.message }
        return nil
    }

    struct Reason: Error { var message: String }

    static func parse(_ text: String) -> Result<SemanticVersion, Reason> {
        guard !text.isEmpty else { return .failure(Reason(message: "empty version")) }
        guard text.utf8.count <= maximumLength else {
            return .failure(Reason(message: "longer than \(maximumLength) characters"))
        }
        var rest = Substring(text)
        var buildIds: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let buildText = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
            for id in buildText.split(separator: ".", omittingEmptySubsequences: false) {
                guard !id.isEmpty, id.utf8.allSatisfy(isIdentifierByte) else {
                    return .failure(Reason(message: "build metadata must be dot-separated [0-9A-Za-z-] identifiers"))
                }
                buildIds.append(String(id))
            }
        }
        var pre: [PrereleaseIdentifier] = []
        if let dash = rest.firstIndex(of: "-") {
            let preText = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
            for id in preText.split(separator: ".", omittingEmptySubsequences: false) {
                guard !id.isEmpty, id.utf8.allSatisfy(isIdentifierByte) else {
                    return .failure(Reason(message: "prerelease must be dot-separated [0-9A-Za-z-] identifiers"))
                }
                if id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                    guard id == "0" || !id.hasPrefix("0"), let n = UInt64(id) else {
                        return .failure(
                            Reason(
                                message: "numeric prerelease identifier \"\(id)\" has a leading zero or is too large"))
                    }
                    pre.append(.numeric(n))
                } else {
                    pre.append(.alphanumeric(String(id)))
                }
            }
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return .failure(Reason(message: "expected MAJOR.MINOR.PATCH")) }
        var numbers: [UInt64] = []
        for part in core {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .failure(Reason(message: "MAJOR, MINOR and PATCH must be non-negative integers"))
            }
            guard part == "0" || !part.hasPrefix("0") else {
                return .failure(Reason(message: "\"\(part)\" has a leading zero"))
            }
            guard let n = UInt64(part) else { return .failure(Reason(message: "\"\(part)\" is too large")) }
            numbers.append(n)
        }
        return .success(SemanticVersion(numbers[0], numbers[1], numbers[2], prerelease: pre, build: buildIds))
    }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45
    }

    /// Whether this is a prerelease (`1.0.0-beta`).
    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// The canonical text (`1.2.3-rc.1+build.5`).
    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.map(\.description).joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Semver precedence (build metadata ignored).
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true): return false
        case (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(lhs.prerelease, rhs.prerelease) where a != b { return a < b }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    /// Equal precedence (build metadata ignored).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    /// Hashes what equality compares (not the build metadata).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }
}
