import Audit
import Credentials
import JSON
import Logging
import ToolRuntime

/// The home's audit log as every surface uses it: record what happened (tool calls, credential use,
/// API keys), verify the chain, list recent records. The log is `<home>/audit/` (``directory(_:)``);
/// its HMAC key is 32 random bytes kept, base64, in the vault's `system` scope under ``keyName``
/// (which no tool run ever resolves), made on first use under the vault's lock so every process on
/// the home signs with the same key.
///
/// ``record(_:actor:fields:)`` never throws: auditing must not fail the request it describes, so a
/// failure is logged (at `error`) and returned for callers that care. ``verify()`` and
/// ``recent(limit:)`` throw ``OmegaError``s: `INVALID_INPUT` with `details.field`, `INTERNAL_ERROR`
/// (with `details.reason` `AUDIT_CHAIN_BROKEN` when an append was refused because the chain is broken).
public struct AuditService: Sendable {
    /// The vault name of the log's HMAC key (scope `system`).
    public static let keyName = "AUDIT_LOG_KEY"

    /// The home whose log is used.
    public let home: OmegaHome
    let log: AuditLog
    let logger: Logger

    /// The log's folder under the home.
    public static func directory(_ home: OmegaHome) -> String { home.root + "/audit" }

    /// The service over `home`: prepares the home (as every service does), reads (or makes) the key
    /// in the vault, and opens (creating when new) the log's folder.
    ///
    /// - Parameters:
    ///   - home: The appliance's home.
    ///   - logger: Where failed ``record(_:actor:fields:)`` calls are reported.
    /// - Throws: `INTERNAL_ERROR` when the home, the vault or the folder cannot be opened, or the vault's
    ///   key is not 32 bytes.
    public init(home: OmegaHome = OmegaHome(), logger: Logger = Logger(label: "omega.audit")) throws(OmegaError) {
        self.home = home
        self.logger = logger
        try home.prepare(policyTemplate: OmegaHome.defaultPolicyTemplate)
        let key = try Self.loadKey(home: home)
        do {
            log = try AuditLog(directory: Self.directory(home), key: key)
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// Appends one record, durably; never throws.
    ///
    /// - Parameters:
    ///   - kind: What happened.
    ///   - actor: Who did it.
    ///   - fields: Non-secret details: ids, statuses, names of credentials, never values (members
    ///     named `secret`, `value`, `token`, `password` or `authorization` are refused).
    /// - Returns: The record written, or the error (already logged): `INVALID_INPUT` with
    ///   `details.field`, or `INTERNAL_ERROR`.
    @discardableResult
    public func record(_ kind: AuditKind, actor: AuditActor, fields: [String: JSONValue] = [:])
        -> Result<AuditRecord, OmegaError>
    {
        do {
            return .success(try log.append(kind, actor: actor, fields: fields))
        } catch {
            let failure = Self.omegaError(error)
            logger.error(
                "audit record not written",
                metadata: ["kind": "\(kind)", "code": "\(error.code.rawValue)", "error": "\(error.message)"])
            return .failure(failure)
        }
    }

    /// Checks the whole log and its head.
    ///
    /// - Returns: Records checked and the first problem (line, seq, kind), if any.
    /// - Throws: `INTERNAL_ERROR` when the log cannot be read (findings are in the report, not thrown).
    public func verify() throws(OmegaError) -> AuditReport {
        do {
            return try log.verify()
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// The last `limit` records, oldest first (`limit` from 1 to ``AuditLog/recentLimit``).
    ///
    /// - Throws: `INVALID_INPUT` (field `limit`) for a limit out of range; `INTERNAL_ERROR`.
    public func recent(limit: Int) throws(OmegaError) -> [AuditRecord] {
        guard (1...AuditLog.recentLimit).contains(limit) else {
            throw OmegaError(
                .invalidInput, "limit: expected 1 to \(AuditLog.recentLimit), got \(limit)",
                details: ["field": "limit"])
        }
        do {
            return try log.recent(limit: limit)
        } catch {
            throw Self.omegaError(error)
        }
    }

    /// The key from the vault's `system` scope, made (32 random bytes, base64) when absent.
    static func loadKey(home: OmegaHome) throws(OmegaError) -> AuditKey {
        let stored: String
        do {
            let vault = try CredentialVault(directory: home.vaultDirectory)
            stored = try vault.value(keyName, scope: .system) {
                var generator = SystemRandomNumberGenerator()
                return ByteEncoding.base64(
                    (0..<AuditKey.byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            }
        } catch {
            throw OmegaError(.internalError, "cannot read the audit key from the vault: \(error)")
        }
        guard let bytes = ByteEncoding.base64Decode(stored), let key = try? AuditKey(bytes: bytes) else {
            throw OmegaError(.internalError, "the vault's \(keyName) is not a \(AuditKey.byteCount)-byte key")
        }
        return key
    }

    /// `error` as the wire error: `INVALID_INPUT` keeps its field; a broken chain is `INTERNAL_ERROR`
    /// with `details.reason` `AUDIT_CHAIN_BROKEN`.
    static func omegaError(_ error: AuditError) -> OmegaError {
        switch error.code {
        case .invalidInput:
            return OmegaError(.invalidInput, error.message, details: error.field.map { ["field": .string($0)] } ?? [:])
        case .chainBroken:
            return OmegaError(.internalError, error.message, details: ["reason": .string(error.code.rawValue)])
        case .internalError:
            return OmegaError(.internalError, error.message)
        }
    }
}
