import Credentials
import Crypto
import JSON
import SystemCalls
import ToolRuntime

/// The key that seals request states and credential tickets: 32 random bytes kept in the home's
/// vault under the `system` scope (which no tool run ever resolves), made on first use under a file
/// lock so that processes starting together on a fresh home agree on one key.
enum StateKey {
    /// The vault name of the key.
    static let name = "MCP_STATE_SEALING_KEY"

    /// Reads the key, creating it when the vault has none.
    ///
    /// - Throws: `INTERNAL_ERROR` when the vault cannot be opened or written.
    static func load(home: OmegaHome) throws(OmegaError) -> [UInt8] {
        do {
            try home.prepare()
            let lock = try FileLock(path: home.root + "/.state-key.lock")
            defer { lock.release() }
            let vault = try CredentialVault(directory: home.vaultDirectory)
            if let stored = vault.value(name, scope: .system), let bytes = ByteEncoding.base64Decode(stored),
                bytes.count == 32
            {
                return bytes
            }
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
            try vault.set(name, value: ByteEncoding.base64(key), scope: .system)
            return key
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot read the request-state key from the vault: \(error)")
        }
    }
}
