import Crypto
import Foundation
import JSON

/// Seals small JSON documents into opaque, tamper-evident tokens and opens them again: the MCP
/// `requestState` and the credential page's ticket.
///
/// A token is `ost1.` followed by base64url (no padding) of ChaCha20-Poly1305's nonce, ciphertext
/// and tag over the document's canonical JSON. The purpose (`request-state`, `credential-ticket`) is
/// authenticated data, so a token sealed for one purpose never opens as another. Without the key a
/// token can be neither read nor made: a forged or altered token fails to open, and nothing about
/// why leaks beyond "does not verify".
public struct SealedToken: Sendable {
    /// The prefix of every token (the `1` is the format version).
    public static let prefix = "ost1."
    /// The longest token opened; longer ones are refused unread.
    public static let maximumBytes = 8192
    private let keyBytes: [UInt8]

    /// A sealer over a 32-byte key.
    ///
    /// - Precondition: `key.count == 32`.
    public init(key: [UInt8]) {
        precondition(key.count == 32, "a sealing key is 32 bytes")
        keyBytes = key
    }

    /// Seals `document` for `purpose`.
    public func seal(_ document: JSONValue, purpose: String) -> String {
        let box = try! ChaChaPoly.seal(
            Data(document.canonicalText.utf8), using: SymmetricKey(data: keyBytes),
            authenticating: Data(("omega-exec/" + purpose).utf8))
        return Self.prefix + Self.base64url(Array(box.combined))
    }

    /// Opens a token sealed for `purpose`; nil when it is malformed, sealed under another key or for
    /// another purpose, or altered in any byte.
    public func open(_ token: String, purpose: String) -> JSONValue? {
        guard token.utf8.count <= Self.maximumBytes, token.hasPrefix(Self.prefix),
            let combined = Self.base64urlDecode(String(token.dropFirst(Self.prefix.count))),
            combined.count > 12 + 16,
            let box = try? ChaChaPoly.SealedBox(combined: Data(combined)),
            let plain = try? ChaChaPoly.open(
                box, using: SymmetricKey(data: keyBytes), authenticating: Data(("omega-exec/" + purpose).utf8))
        else { return nil }
        return try? JSONParser().parse(bytes: Array(plain))
    }

    /// A random nonce for single-use tokens: 16 random bytes, base64url (22 characters).
    public static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return base64url((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        var text = ByteEncoding.base64(bytes)
        text = String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func base64urlDecode(_ text: String) -> [UInt8]? {
        guard
            text.utf8.allSatisfy({ byte in
                (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45
                    || byte == 95
            }), text.utf8.count % 4 != 1
        else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return ByteEncoding.base64Decode(standard)
    }
}
