import Crypto
import FoundationEssentials
import JSON

/// The 32-byte HMAC-SHA256 key that signs every record and the head: whoever lacks it cannot write
/// a record or a head that verifies. The service layer keeps it in the vault's `system` scope.
public struct AuditKey: Sendable {
    /// The key's length in bytes.
    public static let byteCount = 32

    /// The key's bytes (`SymmetricKey` is not `Sendable`; one is made per use).
    private let bytes: [UInt8]

    /// The key of `bytes`.
    ///
    /// - Throws: `INVALID_INPUT` (field `key`) unless `bytes` is exactly 32 bytes.
    public init(bytes: [UInt8]) throws(AuditError) {
        guard bytes.count == Self.byteCount else {
            throw AuditError(
                .invalidInput, "the audit key must be \(Self.byteCount) bytes, got \(bytes.count)", field: "key")
        }
        self.bytes = bytes
    }

    /// Lowercase hex of HMAC-SHA256(key, UTF-8 of `text`): 64 characters.
    func authenticationCode(of text: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: bytes))
        return ByteEncoding.hex(code)
    }

    /// Whether `hex` is the authentication code of `text` under this key (compared in constant time;
    /// false for anything that is not 64 lowercase hex digits).
    func isValid(_ hex: String, of text: String) -> Bool {
        guard let code = Self.bytes(ofHex: hex), code.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            code, authenticating: Array(text.utf8), using: SymmetricKey(data: bytes))
    }

    /// Whether `text` is 64 lowercase hex digits (a hash as records carry it).
    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { hexValue($0) != nil }
    }

    /// The bytes of lowercase hex `text`; nil for odd lengths or other characters.
    private static func bytes(ofHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one lowercase hex digit.
    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
