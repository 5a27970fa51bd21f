import Crypto
import JSON

/// What an approval is bound to: one tool id, one exact version, one exact (canonical) input and,
/// when the caller knows it, one exact package (the digest of its signed description), so a
/// look-alike package claiming the same id and version cannot reuse the approval.
public struct ApprovalKey: Sendable, Hashable, CustomStringConvertible {
    /// The tool's id.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// Lowercase hex SHA-256 of the canonical input (see ``Approval/digest(of:)``).
    public var inputDigest: String
    /// SHA-256 of the package's description; empty when the approval is not bound to a package.
    public var packageDigest: String
    /// The user whose credentials the approved call runs with; an approval covers that user's calls
    /// only (empty: not bound to a user, for callers that have none).
    public var user: String

    /// A key. `inputDigest` is compared case-insensitively (it is stored lowercased).
    ///
    /// - Parameters:
    ///   - toolID: The tool's id.
    ///   - toolVersion: The tool's version.
    ///   - inputDigest: Hex SHA-256 of the canonical input.
    ///   - packageDigest: Hex SHA-256 of the package description (empty: not bound to a package).
    ///   - user: The user whose credentials the call runs with (empty: none).
    public init(toolID: String, toolVersion: String, inputDigest: String, packageDigest: String = "", user: String = "") {
        self.toolID = toolID
        self.toolVersion = toolVersion
        self.inputDigest = inputDigest.lowercased()
        self.packageDigest = packageDigest.lowercased()
        self.user = user
    }

    /// `web.fetch@1.2.0 sha256:ab12…` (and ` package:cd34…` when bound to a package).
    public var description: String {
        "\(toolID)@\(toolVersion) sha256:\(inputDigest)" + (packageDigest.isEmpty ? "" : " package:\(packageDigest)")
    }
}

/// A human's permission to run one tool version on one exact input, possibly until a deadline.
///
/// An approval only turns a `needsApproval` decision into `allow`; it never overrides a deny.
public struct Approval: Sendable, Hashable, CustomStringConvertible {
    /// What the approval covers.
    public var key: ApprovalKey
    /// When it was granted.
    public var grantedAt: PolicyTimestamp
    /// When it stops counting (exclusive: at `expiresAt` it has expired); nil for never.
    public var expiresAt: PolicyTimestamp?
    /// Who approved (a user name or an agent-host principal).
    public var approvedBy: String

    /// An approval.
    ///
    /// - Parameters:
    ///   - key: What it covers.
    ///   - grantedAt: When it was granted.
    ///   - expiresAt: When it stops counting; nil for never (``PolicyEngine/approval(for:approvedBy:at:ttlSeconds:)``
    ///     fills in the policy's `approvalTTLSeconds` instead).
    ///   - approvedBy: Who approved.
    public init(key: ApprovalKey, grantedAt: PolicyTimestamp, expiresAt: PolicyTimestamp?, approvedBy: String) {
        self.key = key
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.approvedBy = approvedBy
    }

    /// Whether the approval counts at `now`: granted at or before `now` and not yet expired.
    ///
    /// - Parameter now: The current time.
    /// - Returns: true when `grantedAt <= now < expiresAt` (or there is no `expiresAt`).
    public func isValid(at now: PolicyTimestamp) -> Bool {
        guard grantedAt <= now else { return false }
        if let expiresAt { return now < expiresAt }
        return true
    }

    /// Whether this approval covers `key` at `now`: same tool id, version and input digest, and valid.
    ///
    /// - Parameters:
    ///   - key: The request's key.
    ///   - now: The current time.
    /// - Returns: true when it matches exactly and is valid.
    public func covers(_ key: ApprovalKey, at now: PolicyTimestamp) -> Bool {
        self.key == key && isValid(at: now)
    }

    /// Lowercase hex SHA-256 of `input.canonicalText` (UTF-8): the digest approvals are bound to.
    ///
    /// - Parameter input: A tool input.
    /// - Returns: 64 lowercase hex digits.
    public static func digest(of input: JSONValue) -> String {
        let hash = SHA256.hash(data: Array(input.canonicalText.utf8))
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hash {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `approved by alice at @1700000000 until @1700003600 for web.fetch@1.2.0 sha256:…`.
    public var description: String {
        "approved by \(approvedBy) at \(grantedAt) " + (expiresAt.map { "until \($0)" } ?? "without expiry")
            + " for \(key)"
    }
}
