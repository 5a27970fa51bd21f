import ArgumentParser
import Service
import ToolPackage

/// `omega-exec pack DIR -o NAME.tar.gz [--sign KEYFILE]`: lint, then pack (and sign) a package folder.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Lint a package folder, then pack it into a deterministic .tar.gz (signed with --sign).",
        discussion: """
            The linter runs first; any lint error aborts and nothing is written. The archive is \
            written beside the output path and renamed into place.

            Exit codes: 0 packed; 1 refused (lint errors, links or special files in DIR, unusable \
            signing key; the message names the file or field); 2 operational error (unreadable \
            folder, I/O); 64 bad usage.
            """
    )

    @Argument(help: "The package folder (omega.json at its root).") var directory: String
    @Option(name: .shortAndLong, help: "The archive to write (NAME.tar.gz).") var output: String
    @Option(help: "Sign with this private key file (written by omega-exec keygen).") var sign: String?

    func run() throws {
        do {
            let (report, result) = try PackageService().pack(
                folder: PackageCLI.absolute(directory), displayName: directory, output: PackageCLI.absolute(output),
                signingKey: sign.map(PackageCLI.absolute)
            ) { report in
                for issue in report.issues { CLIOutput.error(issue.description) }
            }
            guard let result else {
                CLIOutput.error("error: \(directory): \(report.errors.count) lint error(s); nothing was packed")
                throw ExitCode(1)
            }
            var text = "packed \(report.manifest.map { "\($0.id)@\($0.version)" } ?? directory) -> \(output)\n"
            text += "digest sha256:\(result.digest.digest) (\(result.digest.files.count) files)\n"
            text += result.signature.map { "signed by key \($0.keyId)\n" } ?? "unsigned\n"
            CLIOutput.out(text)
        } catch let error as PackageError {
            throw PackageCLI.fail(error)
        }
    }
}

/// What the package commands share: paths relative to the working directory, and how a package
/// error ends the command (1 refused, 2 operational).
enum PackageCLI {
    /// Prints `error: CODE: message` and returns the exit code: 2 for operational failures, else 1.
    static func fail(_ error: PackageError) -> ExitCode {
        CLIOutput.error("error: \(error)")
        return ExitCode(error.isOperational ? 2 : 1)
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : CLIOutput.currentDirectory() + "/" + path
    }
}
