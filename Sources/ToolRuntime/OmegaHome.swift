import Foundation
import Jail
import ToolPackage

/// The appliance's home (`OMEGA_HOME`; default `/var/lib/omega-exec` as root, else
/// `~/.local/share/omega-exec`) and what lives in it:
///
/// | path | what |
/// |---|---|
/// | `runs.sqlite` (+ `-wal`, `-shm`) | the run store |
/// | `vault/` | the credential vault (`vault.sealed`, `vault.key` 0600) |
/// | `packages/<id>/<version>/` | installed packages |
/// | `trusted-keys.json`, `yanked.json` | package trust and revocation |
/// | `policy.json` | the user-level policy (created from `Policies/default.json` on first use) |
/// | `runs/<run id>/artifacts/` | files the tool wrote to `/work/out` |
/// | `work/` | per-run scratch (outboxes, unpacked archives), emptied at start-up |
///
/// The home is created 0711 (traversable, not listable); what holds secrets or inputs is private.
public struct OmegaHome: Sendable, Hashable {
    /// The root directory.
    public let root: String

    /// The home at `root` (default: `OMEGA_HOME` or the platform default).
    public init(root: String? = nil) {
        self.root = root ?? JailPaths.home
    }

    /// The run store's database file.
    public var storePath: String { root + "/runs.sqlite" }
    /// The vault's directory.
    public var vaultDirectory: String { root + "/vault" }
    /// Installed packages.
    public var packagesDirectory: String { root + "/packages" }
    /// The trusted publisher keys.
    public var trustedKeysPath: String { root + "/trusted-keys.json" }
    /// The yank list.
    public var yankListPath: String { root + "/" + YankList.defaultFileName }
    /// The user-level policy file.
    public var userPolicyPath: String { root + "/policy.json" }
    /// Scratch space for runs in progress.
    public var scratchDirectory: String { root + "/work" }

    /// Where a run's artifacts are kept.
    public func artifactsDirectory(runID: String) -> String { root + "/runs/" + runID + "/artifacts" }

    /// Creates the home (0700) and its directories when missing; installs the default user policy
    /// from `template` when there is none.
    ///
    /// - Throws: `INTERNAL_ERROR` naming the directory that could not be made.
    public func prepare(policyTemplate template: String? = nil) throws(OmegaError) {
        let fm = FileManager.default
        // The jail's unprivileged host id must traverse the home to reach the packages (mounted at /tool)
        // and the run's outbox (mounted at /work/out), so those paths are 0711/0755; the store, the
        // vault and the artifacts stay private (0600/0700).
        let modes: [(String, Int)] = [
            (root, 0o711), (root + "/runs", 0o700), (scratchDirectory, 0o711), (packagesDirectory, 0o755),
        ]
        for (directory, mode) in modes {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw OmegaError(.internalError, "\(directory) exists and is not a directory")
                }
                // The home and the scratch space must stay traversable by the jail's id (another tool may
                // have created them 0700): add the search bits, never remove any.
                if mode & 0o011 != 0,
                    let current = (try? fm.attributesOfItem(atPath: directory))?[.posixPermissions] as? Int,
                    current & 0o011 != 0o011
                {
                    try? fm.setAttributes([.posixPermissions: current | 0o011], ofItemAtPath: directory)
                }
                continue
            }
            do {
                try fm.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: directory)
            } catch {
                throw OmegaError(.internalError, "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        if let template, !fm.fileExists(atPath: userPolicyPath), fm.fileExists(atPath: template) {
            do {
                try fm.copyItem(atPath: template, toPath: userPolicyPath)
            } catch  where fm.fileExists(atPath: userPolicyPath) {
                // Another process starting at the same moment installed it first: fine.
            } catch {
                throw OmegaError(.internalError, "cannot install the default policy at \(userPolicyPath): \(error)")
            }
        }
    }

    /// The shipped default user policy: `$OMEGA_POLICY_TEMPLATE`, `Policies/default.json` above the
    /// running executable (a source checkout), or `share/omega-exec/policies/default.json`.
    public static var defaultPolicyTemplate: String? {
        let env = ProcessInfo.processInfo.environment
        if let value = env["OMEGA_POLICY_TEMPLATE"], !value.isEmpty { return value }
        return JailPaths.shippedDirectories(checkout: "Policies", installed: "policies")
            .map { $0 + "/default.json" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}
