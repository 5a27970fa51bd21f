import Crypto
import FoundationEssentials
import JSON
import Synchronization
import SystemCalls

/// Credentials encrypted at rest with AES-256-GCM (swift-crypto).
///
/// The vault is one sealed file, `<directory>/vault.sealed`: nonce, ciphertext and tag of a JSON
/// document mapping scopes to `NAME → value`. The key is 32 bytes from `OMEGA_VAULT_KEY` (base64)
/// when set, else `<directory>/vault.key`, created with mode 0600 on first use and refused when
/// anyone but its owner may read it. Writes are atomic (temporary file, fsync, rename). Values leave
/// the vault only through `resolve`; `entries` lists names and scopes, never values.
public final class CredentialVault: Sendable {
    /// Where the key comes from.
    public enum KeySource: Sendable {
        /// `OMEGA_VAULT_KEY` when set, else the key file (created on first use).
        case automatic
        /// These 32 bytes.
        case key([UInt8])
    }

    /// One stored credential, without its value.
    public struct Entry: Sendable, Hashable {
        /// Whom it is for.
        public var scope: CredentialScope
        /// The environment variable name it provides.
        public var name: String
    }

    /// The vault's folder.
    public let directory: String
    /// The key's bytes (SymmetricKey is not Sendable; one is made per seal/open).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private let state: Mutex<[String: [String: String]]>

    /// The sealed file.
    public var vaultPath: String { directory + "/vault.sealed" }

    /// Opens (or creates, empty) the vault in `directory`.
    ///
    /// - Throws: `VaultError` when the key is malformed or unsafe, or the vault cannot be decrypted
    ///   with it (`VAULT_CORRUPT`: a wrong key or a tampered file).
    public init(directory: String, keySource: KeySource = .automatic) throws(VaultError) {
        self.directory = directory
        try VaultFiles.makeDirectory(directory)
        switch keySource {
        case .key(let bytes):
            guard bytes.count == 32 else {
                throw VaultError(code: .keyInvalid, message: "the key must be 32 bytes")
            }
            keyBytes = bytes
        case .automatic:
            if let encoded = SystemCall.environment("OMEGA_VAULT_KEY"), !encoded.isEmpty {
                guard let bytes = ByteEncoding.base64Decode(encoded), bytes.count == 32 else {
                    throw VaultError(code: .keyInvalid, message: "OMEGA_VAULT_KEY: expected 32 bytes in base64")
                }
                keyBytes = bytes
            } else {
                keyBytes = try VaultFiles.loadOrCreateKey(directory + "/vault.key")
            }
        }
        state = Mutex(try CredentialVault.load(directory + "/vault.sealed", key: SymmetricKey(data: keyBytes)))
    }

    private static func load(_ path: String, key: SymmetricKey) throws(VaultError) -> [String: [String: String]] {
        guard let sealed = try VaultFiles.read(path) else { return [:] }
        let plain: Data
        do {
            plain = try AES.GCM.open(AES.GCM.SealedBox(combined: Data(sealed)), using: key)
        } catch {
            throw VaultError(
                code: .corrupt, message: "\(path) cannot be decrypted with this key (wrong key or tampered file)"
            )
        }
        guard let document = try? JSONParser().parse(bytes: Array(plain)), document["version"] == 1,
            let entries = document["entries"]?.objectValue
        else { throw VaultError(code: .corrupt, message: "\(path) does not hold a vault document") }
        var result: [String: [String: String]] = [:]
        for (scope, names) in entries {
            for (name, value) in names.objectValue ?? [:] { result[scope, default: [:]][name] = value.stringValue }
        }
        return result
    }

    private func save(_ entries: [String: [String: String]]) throws(VaultError) {
        var object: [String: JSONValue] = [:]
        for (scope, names) in entries where !names.isEmpty {
            object[scope] = .object(names.mapValues { .string($0) })
        }
        let document: JSONValue = ["version": 1, "entries": .object(object)]
        let sealed: Data
        do {
            sealed = try AES.GCM.seal(Data(document.canonicalText.utf8), using: key).combined!
        } catch {
            throw VaultError(code: .io, message: "sealing the vault failed")
        }
        try VaultFiles.writeAtomically(vaultPath, Array(sealed))
    }

    /// Stores `value` for `name` in `scope` (replacing any previous value).
    ///
    /// - Throws: `INVALID_INPUT` for a name that is not an environment variable name or an empty value.
    public func set(_ name: String, value: String, scope: CredentialScope) throws(VaultError) {
        guard Self.isValidName(name) else {
            throw VaultError(
                code: .invalidInput,
                message: "name: expected an environment variable name like API_KEY, got '\(name)'")
        }
        guard value.utf8.count >= Redactor.minimumSecretLength else {
            throw VaultError(
                code: .invalidInput,
                message:
                    "value: expected at least \(Redactor.minimumSecretLength) bytes for \(name) (shorter values could not be redacted)"
            )
        }
        try update { entries in
            entries[scope.description, default: [:]][name] = value
            return true
        }
    }

    /// The value of `name` in exactly `scope`, storing `make()` first when there is none: read and
    /// written under the vault's lock, so processes asking at the same moment all get the one value
    /// stored (the appliance's own keys, made on first use).
    ///
    /// - Throws: `INVALID_INPUT` for a name that is not an environment variable name; `VaultError`
    ///   when the vault cannot be read or written.
    public func value(_ name: String, scope: CredentialScope, storingIfAbsent make: () -> String) throws(VaultError)
        -> String
    {
        guard Self.isValidName(name) else {
            throw VaultError(code: .invalidInput, message: "name: expected an environment variable name, got '\(name)'")
        }
        var result = ""
        try update { entries in
            if let stored = entries[scope.description]?[name] {
                result = stored
                return false
            }
            result = make()
            entries[scope.description, default: [:]][name] = result
            return true
        }
        return result
    }

    /// The value stored for `name` in exactly `scope` (no fallback to a wider scope); for the
    /// appliance's own `system` secrets, which ``resolve(_:toolID:user:includeToolScope:)`` never returns.
    public func value(_ name: String, scope: CredentialScope) -> String? {
        state.withLock { $0[scope.description]?[name] }
    }

    /// Removes `name` from `scope`. Returns whether it was there.
    @discardableResult
    public func remove(_ name: String, scope: CredentialScope) throws(VaultError) -> Bool {
        var found = false
        try update { entries in
            found = entries[scope.description]?[name] != nil
            entries[scope.description]?[name] = nil
            return found
        }
        return found
    }

    /// Applies `change` to the vault as it is on disk now, under an exclusive lock on
    /// `<directory>/vault.lock`, and saves it: processes writing the same vault at once (`serve`'s
    /// credential page, `mcp`, the CLI) never lose each other's entries.
    /// `change` returns whether it changed anything (nothing is written otherwise).
    private func update(_ change: (inout [String: [String: String]]) -> Bool) throws(VaultError) {
        try state.withLock { (entries) throws(VaultError) in
            let lock: FileLock
            do {
                lock = try FileLock(path: directory + "/vault.lock")
            } catch {
                throw VaultError(code: .io, message: "cannot lock the vault: \(error)")
            }
            defer { lock.release() }
            var updated = try Self.load(vaultPath, key: key)
            if change(&updated) { try save(updated) }
            entries = updated
        }
    }

    /// What is stored (names and scopes only), sorted.
    public var entries: [Entry] {
        state.withLock { entries in
            entries.flatMap { scope, names in
                names.keys.compactMap { name in CredentialScope(parsing: scope).map { Entry(scope: $0, name: name) } }
            }
        }.sorted { ($0.scope.description, $0.name) < ($1.scope.description, $1.name) }
    }

    /// The values for `names` a run of `toolID` by `user` may use: the tool's own first, then the
    /// user's, then global ones. Names not stored are absent from the result.
    ///
    /// - Parameter includeToolScope: false skips `tool:<toolID>` entries (for a package whose id
    ///   nothing vouches for).
    public func resolve(_ names: [String], toolID: String, user: String?, includeToolScope: Bool = true)
        -> [String: String]
    {
        state.withLock { entries in
            var result: [String: String] = [:]
            let scopes = Self.resolutionOrder(toolID: toolID, user: user, includeToolScope: includeToolScope)
            for name in names {
                for scope in scopes {
                    if let value = entries[scope.description]?[name] {
                        result[name] = value
                        break
                    }
                }
            }
            return result
        }
    }

    /// Which of `names` ``resolve(_:toolID:user:includeToolScope:)`` would find, without reading a
    /// value: what a search shows as present or missing.
    public func storedNames(_ names: [String], toolID: String, user: String?, includeToolScope: Bool = true)
        -> Set<String>
    {
        state.withLock { entries in
            let scopes = Self.resolutionOrder(toolID: toolID, user: user, includeToolScope: includeToolScope)
            return Set(names.filter { name in scopes.contains { entries[$0.description]?[name] != nil } })
        }
    }

    /// The scopes a run of `toolID` by `user` takes values from, first match wins.
    private static func resolutionOrder(toolID: String, user: String?, includeToolScope: Bool) -> [CredentialScope] {
        (includeToolScope ? [CredentialScope.tool(toolID)] : []) + (user.map { [CredentialScope.user($0)] } ?? [])
            + [.global]
    }

    /// Whether `name` is a valid environment variable name (`^[A-Z_][A-Z0-9_]*$`, at most 128 bytes).
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 128,
            first == UInt8(ascii: "_") || (65...90).contains(first)
        else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (65...90).contains($0) || (48...57).contains($0) }
    }
}
