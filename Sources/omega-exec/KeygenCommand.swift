import ArgumentParser
import Service
import ToolPackage

/// `omega-exec keygen [-o KEYFILE]`: a new Ed25519 signing key pair.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an Ed25519 package-signing key: KEYFILE (mode 0600) and KEYFILE.pub.",
        discussion: """
            Never overwrites: when KEYFILE or KEYFILE.pub exists nothing is written. The key id is \
            the first 16 hex digits of SHA-256 of the public key. KEYFILE.pub is a valid entry for \
            a trusted-keys file. The private key is never printed.

            Exit codes: 0 written; 1 a key file exists (KEY_EXISTS); 2 I/O error; 64 bad usage.
            """
    )

    @Option(name: .shortAndLong, help: "The private key file (default <OMEGA_HOME>/keys/signing.key).") var output:
        String?
    @Option(help: "The key holder's name, recorded in KEYFILE.pub.") var name = ""

    func run() throws {
        do {
            let info = try PackageService().keygen(path: output.map(PackageCLI.absolute), name: name)
            CLIOutput.out(
                "key \(info.keyId)\nprivate key: \(info.privateKeyPath) (mode 0600)\npublic key:  \(info.publicKeyPath)\n"
            )
        } catch {
            throw PackageCLI.fail(error)
        }
    }
}
