import Hummingbird

/// The API key in `Authorization: Bearer <key>` (RFC 6750 §2.1): the scheme matched without regard to
/// case, exactly one header, a token of the `b64token` characters. The token is never logged or echoed.
enum BearerToken {
    /// Why there is no usable token.
    enum Problem: Error, Sendable {
        /// No `Authorization` header.
        case missing
        /// Not `Bearer <token>`, or more than one header.
        case malformed
    }

    /// The token of `headers`' one `Authorization` header.
    static func parse(_ headers: HTTPFields) -> Result<String, Problem> {
        let values = headers[values: .authorization]
        guard let value = values.first else { return .failure(.missing) }
        guard values.count == 1 else { return .failure(.malformed) }
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].utf8.count <= 512 else {
            return .failure(.malformed)
        }
        let token = parts[1]
        let allowed = token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "-._~+/=".utf8.contains(byte)
        }
        return allowed ? .success(String(token)) : .failure(.malformed)
    }
}
