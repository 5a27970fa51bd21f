import Credentials
import Crypto
import JSON
import ToolRuntime

/// The key that seals request states and credential tickets: 32 random bytes kept in the home's
/// vault under the `system` scope (which no tool run ever resolves), made on first use under the
/// vault's lock so that processes starting together on a fresh home agree on one key.
enum StateKey {
    /// The vault name of the key.
    static let name = "MCP_STATE_SEALING_KEY"

    /// Reads the key, creating it when the vault has none.
    ///
    /// - Throws: `INTERNAL_ERROR` when the vault cannot be opened or written.
    static func load(home: OmegaHome) throws(OmegaError) -> [UInt8] {
        do {
            try home.prepare()
            let vault = try CredentialVault(directory: home.vaultDirectory)
            let stored = try vault.value(name, scope: .system) {
                ByteEncoding.base64(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
            }
            guard let key = ByteEncoding.base64Decode(stored), key.count == 32 else {
                throw OmegaError(.internalError, "the vault's \(name) is not a 32-byte key")
            }
            return key
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot read the request-state key from the vault: \(error)")
        }
    }
}
