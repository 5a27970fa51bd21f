import Access
import ToolRuntime

/// API keys and the ledger of used request states as every surface uses them: create, list and revoke
/// keys (`omega-exec keys`), authenticate a bearer token (the HTTP endpoint, the MCP host) and consume a
/// request state once (MCP pauses). The store is `<home>/access.sqlite` (``storePath(_:)``), shared by
/// every process on the home.
///
/// Errors are ``OmegaError``s: `UNAUTHORIZED` (always "invalid or revoked API key", whatever the
/// cause), `INVALID_INPUT` with `details.field`, `INTERNAL_ERROR`. Secrets leave only through
/// ``create(name:user:)``, once.
public struct KeyService: Sendable {
    /// The home whose access store is used.
    public let home: OmegaHome
    let store: AccessStore

    /// The access database under the home.
    public static func storePath(_ home: OmegaHome) -> String { home.root + "/access.sqlite" }

    /// The service over `home`: prepares the home (as every service does), then opens (creating when new)
    /// its access store.
    ///
    /// - Throws: `INTERNAL_ERROR` when the home or the store cannot be opened.
    public init(home: OmegaHome = OmegaHome()) throws(OmegaError) {
        self.home = home
        try home.prepare(policyTemplate: OmegaHome.defaultPolicyTemplate)
        do {
            store = try AccessStore(path: Self.storePath(home))
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// Creates a key acting for `user`.
    ///
    /// - Parameters:
    ///   - name: 1–64 characters of `A-Z a-z 0-9 . _ -` and space, unique among unrevoked keys.
    ///   - user: 1–64 characters of `a-z 0-9 . _ -` (default `local`).
    /// - Returns: The key and its secret (`omx_…`), which is stored nowhere and cannot be shown again.
    /// - Throws: `INVALID_INPUT` with `details.field` `name` or `user`; `INTERNAL_ERROR`.
    public func create(name: String, user: String = APIKey.defaultUser) throws(OmegaError)
        -> (key: APIKey, secret: String)
    {
        do {
            return try store.createKey(name: name, user: user)
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// Every key, revoked ones included, oldest first (never a secret or a hash).
    ///
    /// - Throws: `INTERNAL_ERROR` when the store cannot be read.
    public func list() throws(OmegaError) -> [APIKey] {
        do {
            return try store.keys()
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// Revokes key `id` (at once, for every process).
    ///
    /// - Returns: true when this call revoked it, false when it was already revoked.
    /// - Throws: `INVALID_INPUT` with `details.field` `id` for a malformed or unknown id; `INTERNAL_ERROR`.
    @discardableResult
    public func revoke(id: String) throws(OmegaError) -> Bool {
        do {
            return try store.revokeKey(id: id)
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// The key a bearer token (without its `Bearer ` scheme) authenticates, now.
    ///
    /// - Throws: `UNAUTHORIZED` "invalid or revoked API key" for every refusal, whatever the cause;
    ///   `INTERNAL_ERROR` when the store cannot be read.
    public func authenticate(bearer: String) throws(OmegaError) -> APIKey {
        do {
            return try store.authenticate(bearer: bearer, nowMs: AccessStore.currentTimeMs())
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// Consumes the request state `nonce` once, for every process on the home.
    ///
    /// - Parameters:
    ///   - nonce: 1–64 characters of `A-Z a-z 0-9 _ -`.
    ///   - expiresAtMs: The state's expiry (ms since the epoch), from the same sealed state as the nonce.
    /// - Returns: true the first time; false when it was consumed before or has expired.
    /// - Throws: `INVALID_INPUT` with `details.field` `nonce`; `INTERNAL_ERROR` (refuse the state then).
    public func consumeState(nonce: String, expiresAtMs: Int64) throws(OmegaError) -> Bool {
        do {
            return try store.consumeState(nonce: nonce, expiresAtMs: expiresAtMs, nowMs: AccessStore.currentTimeMs())
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// `error` as the wire error: same code, same message, its field in `details.field`.
    public static func omegaError(_ error: AccessError) -> OmegaError {
        switch error.code {
        case .unauthorized:
            return OmegaError(.unauthorized, error.message)
        case .invalidInput:
            return OmegaError(.invalidInput, error.message, details: error.field.map { ["field": .string($0)] } ?? [:])
        case .internalError:
            return OmegaError(.internalError, error.message)
        }
    }
}
