import Crypto
import JSON

/// The bearer token of an API key: `omx_<16 lowercase hex: the key id>_<43 base64url characters:
/// 32 random bytes, unpadded>`, 64 ASCII bytes in all.
///
/// Parsing is strict and positional (base64url itself contains `_`): anything else, including a
/// leftover `Bearer ` scheme, surrounding whitespace or control characters, is not a token.
struct APIKeyToken: Sendable {
    /// The full token (the secret shown once).
    let text: String
    /// The 16 hex digits after `omx_`.
    let idHex: String

    static let prefix = "omx_"
    /// `omx_` + 16 + `_` + 43.
    static let length = 64
    /// Longer input is refused before it is looked at further.
    static let maximumInputBytes = 200

    /// The key id the token names (`key_` + the hex digits).
    var keyID: String { "key_" + idHex }

    /// SHA-256 of the token's bytes, lowercase hex: the only form in which it is stored.
    var digestHex: String { ByteEncoding.hex(SHA256.hash(data: Array(text.utf8))) }

    /// A fresh key: 8 random bytes of id and 32 of secret (both from the system's CSPRNG).
    static func generate() -> APIKeyToken {
        var generator = SystemRandomNumberGenerator()
        let idBytes = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let idHex = ByteEncoding.hex(idBytes)
        return APIKeyToken(text: prefix + idHex + "_" + base64URL(secret), idHex: idHex)
    }

    /// The token in `bearer`, or nil when it is not exactly one well-formed token.
    init?(parsing bearer: String) {
        var bytes: [UInt8] = []
        for byte in bearer.utf8 {
            bytes.append(byte)
            if bytes.count > Self.maximumInputBytes { return nil }
        }
        guard bytes.count == Self.length, bytes.starts(with: Self.prefix.utf8), bytes[20] == UInt8(ascii: "_"),
            bytes[4..<20].allSatisfy(APIKey.isLowercaseHex),
            bytes[21...].allSatisfy({ APIKey.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return nil }
        self.init(text: bearer, idHex: String(decoding: bytes[4..<20], as: UTF8.self))
    }

    private init(text: String, idHex: String) {
        self.text = text
        self.idHex = idHex
    }

    /// Unpadded base64url (RFC 4648 §5) of `bytes`.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = ""
        for character in ByteEncoding.base64(bytes) {
            switch character {
            case "+": text.append("-")
            case "/": text.append("_")
            case "=": continue
            default: text.append(character)
            }
        }
        return text
    }

    /// Whether two digests are equal, comparing every byte whatever the first difference (the time
    /// taken depends only on the lengths, which are public: 64 hex digits).
    static func digestsEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
