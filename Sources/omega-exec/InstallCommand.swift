import ArgumentParser
import Foundation
import Service
import ToolPackage
import ToolRuntime

/// `omega-exec install PKG [--trusted-keys FILE] [--allow-unsigned] [--force]`.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Verify, lint and install a package into <OMEGA_HOME>/packages/<id>/<version>.",
        discussion: """
            The package is unpacked into a staging directory beside the destination, verified \
            against the trusted keys (--trusted-keys, else <OMEGA_HOME>/trusted-keys.json), checked \
            against the yank list (<OMEGA_HOME>/yanked.json) and linted; only then is it renamed into \
            place. A failure leaves nothing behind.

            Exit codes: 0 installed; 1 refused (a verification code such as PACKAGE_UNSIGNED or \
            PACKAGE_TAMPERED_FILE, an ARCHIVE_* code, INVALID_MANIFEST, PACKAGE_YANKED, \
            PACKAGE_LINT_FAILED, PACKAGE_ALREADY_INSTALLED); 2 operational error (I/O, corrupt archive, \
            malformed trusted-keys or yank file); 64 bad usage. For a registry ID[@VERSION] the \
            package comes from its index entry's package.source (a local folder or .tar.gz) and must have \
            its package.digest; registry errors print the error object with its own exit code \
            (TOOL_NOT_FOUND, TOOL_UNAVAILABLE, INVALID_MANIFEST for a digest mismatch).
            """
    )

    @Argument(help: "The package: a .tar.gz, a folder, or a registry tool ID[@VERSION].") var package: String
    @Option(help: "The trusted-keys file (default <OMEGA_HOME>/trusted-keys.json).") var trustedKeys: String?
    @Flag(help: "Install even when the package is not signed (policy override).") var allowUnsigned = false
    @Flag(help: "Replace an installed copy of the same version.") var force = false

    func run() throws {
        do {
            let keys = trustedKeys.map(PackageCLI.absolute)
            let result =
                RegistryService.isRegistryReference(package) && !FileManager.default.fileExists(atPath: package)
                ? try RegistrySession.open().install(package, trustedKeys: keys, allowUnsigned: allowUnsigned, force: force)
                : try PackageService().install(
                    PackageCLI.absolute(package), trustedKeys: keys, allowUnsigned: allowUnsigned, force: force)
            for warning in result.warnings { CLIOutput.error(warning.description) }
            let signer =
                result.verification.signer.map { "signed by \($0.keyId)" } ?? "UNSIGNED (allowed by --allow-unsigned)"
            CLIOutput.out(
                "installed \(result.manifest.id)@\(result.manifest.version) -> \(result.path)\(result.replaced ? " (replaced)" : "") [\(signer)]\n"
            )
        } catch let error as PackageError {
            throw PackageCLI.fail(error)
        } catch let error as OmegaError {
            throw CLIRequestParsing.exit(with: error)
        }
    }
}
