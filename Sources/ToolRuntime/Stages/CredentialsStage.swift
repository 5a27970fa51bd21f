import Credentials
import Foundation
import JSON
import Jail
import Policy
import RunStorage
import Schema
import ToolPackage

/// Resolves the declared variables: the call's own values first, then the vault (`tool:` scope only
/// for a vouched-for package); pauses with `MISSING_ENV_VARS` (DESIGN §5) for required ones still missing.
struct CredentialsStage: PipelineStage {
    static let step = PipelineStep.credentials

    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError) {
        let manifest = context.tool.manifest
        var values: [String: String] = [:]
        var sources: [String: String] = [:]
        for variable in manifest.env {
            if let value = context.providedEnv[variable.name] {
                values[variable.name] = value
                sources[variable.name] = "request"
            }
        }
        let wanted = manifest.env.map(\.name).filter { values[$0] == nil }
        if !wanted.isEmpty, let vault = try Self.openVault(runner.configuration, required: false) {
            // `tool:<id>` credentials go only to a package whose id is vouched for (installed, or signed
            // by a trusted key); a folder or archive named by path could claim any id.
            let vouched = context.tool.isInstalled || context.tool.signer != nil
            for (name, value) in vault.resolve(
                wanted, toolID: manifest.id, user: context.user, includeToolScope: vouched)
            {
                values[name] = value
                sources[name] = "vault"
            }
        }
        let missing = manifest.env.filter { $0.required && (values[$0.name] ?? "").isEmpty }
        context.env = values
        context.envSources = sources
        context.learnSecrets()
        guard missing.isEmpty else {
            let names = missing.map(\.name)
            do {
                try runner.store.recordCredentialRequest(runID: context.runID, names: names, atMs: ToolRunner.nowMs())
            } catch {
                throw OmegaError(.internalError, "cannot record the credential request: \(error)")
            }
            let error = OmegaError.missingEnvVars(missing.map { ($0.name, $0.description) })
            try runner.record(context, .credentialsRequested(missing: missing.map { ($0.name, $0.description) }))
            throw error
        }
    }

    /// Opens the vault as it is now (credentials stored by another process since the last run count):
    /// it is read for each run that needs a stored credential, never cached.
    static func openVault(_ configuration: RuntimeConfiguration, required: Bool) throws(OmegaError) -> CredentialVault?
    {
        let directory = configuration.home.vaultDirectory
        // Do not create a key just to find nothing: no vault yet means no stored credentials.
        if !required && !FileManager.default.fileExists(atPath: directory + "/vault.sealed") { return nil }
        do {
            return try CredentialVault(directory: directory)
        } catch {
            throw OmegaError(.internalError, "cannot open the credential vault: \(error)")
        }
    }
}
