import ArgumentParser
import Service
import ToolPackage

/// `omega-exec verify PKG [--trusted-keys FILE]`: check a package's signature and every file.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify that a package (folder or .tar.gz) is exactly what a trusted key signed.",
        discussion: """
            Archives are extracted safely into a temporary directory first. Trusted keys come from \
            --trusted-keys, else <OMEGA_HOME>/trusted-keys.json (a JSON array of {keyId, publicKey, name}).

            Exit codes: 0 verified; 1 refused, with a stable code: PACKAGE_UNSIGNED, \
            PACKAGE_UNKNOWN_KEY, PACKAGE_BAD_SIGNATURE, PACKAGE_INVALID_SIGNATURE_FILE, \
            PACKAGE_MANIFEST_TAMPERED, PACKAGE_TAMPERED_FILE, PACKAGE_FILE_ADDED, PACKAGE_FILE_REMOVED, \
            or an ARCHIVE_* code for an unsafe archive; 2 operational error (unreadable file, corrupt \
            archive, malformed trusted-keys file); 64 bad usage.
            """
    )

    @Argument(help: "The package: a folder or a .tar.gz.") var package: String
    @Option(help: "The trusted-keys file (default <OMEGA_HOME>/trusted-keys.json).") var trustedKeys: String?

    func run() throws {
        do {
            let result = try PackageService().verify(
                PackageCLI.absolute(package), trustedKeys: trustedKeys.map(PackageCLI.absolute))
            let signer = result.signer.map { "\($0.keyId)\($0.name.isEmpty ? "" : " (\($0.name))")" } ?? "nobody"
            CLIOutput.out(
                "verified \(package): sha256:\(result.digest.digest), \(result.digest.files.count) files, signed by \(signer)\n"
            )
        } catch {
            throw PackageCLI.fail(error)
        }
    }
}
