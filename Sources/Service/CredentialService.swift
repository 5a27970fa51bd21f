import Credentials
import ToolRuntime

/// The vault as surfaces use it: store, list and remove credentials (values never leave here).
public struct CredentialService: Sendable {
    /// The home whose vault is used.
    public let home: OmegaHome

    /// The service over `home`'s vault.
    public init(home: OmegaHome = OmegaHome()) { self.home = home }

    /// Whether `name` can name a variable (`[A-Z_][A-Z0-9_]*`).
    public static func isValidName(_ name: String) -> Bool { CredentialVault.isValidName(name) }

    private func vault() throws(OmegaError) -> CredentialVault {
        do {
            return try CredentialVault(directory: home.vaultDirectory)
        } catch {
            throw OmegaError(.internalError, "cannot open the vault: \(error)")
        }
    }

    /// Stores `value` for `name` in `scope`.
    ///
    /// - Throws: `INVALID_INPUT` naming the field (`name`, `value`) for a bad name or value, `INTERNAL_ERROR`
    ///   when the vault cannot be written.
    public func set(_ name: String, value: String, scope: CredentialScope) throws(OmegaError) {
        guard !value.isEmpty else {
            throw OmegaError(.invalidInput, "no value given for \(name)", details: ["field": "value"])
        }
        do {
            try vault().set(name, value: value, scope: scope)
        } catch let error as VaultError {
            throw OmegaError(.invalidInput, error.description, details: ["field": "value"])
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot store \(name): \(error)")
        }
    }

    /// Stores each value under the tool's scope (`tool:<id>`): what `try` offers after a prompt.
    public func save(_ values: [String: String], forTool toolID: String) throws(OmegaError) {
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            try set(name, value: value, scope: .tool(toolID))
        }
    }

    /// The value stored under `name` in exactly `scope`, nil when there is none. For the service's own
    /// use (a model's API key): the value never goes to a log, an event or a response.
    public func value(_ name: String, scope: CredentialScope) throws(OmegaError) -> String? {
        try vault().value(name, scope: scope)
    }

    /// Names and scopes of the stored credentials (never values).
    public func entries() throws(OmegaError) -> [(name: String, scope: CredentialScope)] {
        try vault().entries.map { ($0.name, $0.scope) }
    }

    /// Removes a credential; false when there was none.
    public func remove(_ name: String, scope: CredentialScope) throws(OmegaError) -> Bool {
        do {
            return try vault().remove(name, scope: scope)
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot remove \(name): \(error)")
        }
    }
}
