import ArgumentParser
import Service
import ToolPackage

/// `omega-exec yank ID@VERSION --reason TEXT`: add a version to the revocation list.
struct YankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yank",
        abstract: "Revoke a package version: install refuses it and later runs see it as yanked.",
        discussion: """
            Records {id, version, reason, date} in <OMEGA_HOME>/yanked.json (replacing an earlier \
            entry for the same version). Installed copies are not removed.

            Exit codes: 0 recorded; 1 malformed ID@VERSION (INVALID_MANIFEST); 2 I/O error or \
            malformed yank file; 64 bad usage.
            """
    )

    @Argument(help: "The package version, as ID@VERSION (web.fetch_extract@1.2.0).") var target: String
    @Option(help: "Why it is yanked (shown to anyone who tries to install or run it).") var reason: String

    func run() throws {
        guard let at = target.lastIndex(of: "@") else {
            CLIOutput.error("error: \(target): expected ID@VERSION, e.g. web.fetch_extract@1.2.0")
            throw ExitCode(1)
        }
        let id = String(target[..<at])
        let version = String(target[target.index(after: at)...])
        do {
            try PackageService().yank(id: id, version: version, reason: reason)
            CLIOutput.out("yanked \(id)@\(version): \(reason)\n")
        } catch {
            throw PackageCLI.fail(error)
        }
    }
}
