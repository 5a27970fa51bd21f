import ArgumentParser
import Service
import ToolPackage

/// `omega-exec lint DIR|PKG [--json]`: check a package before packing or installing it.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check a package folder or .tar.gz: manifest, schemas, examples, command, env, risk and scopes.",
        discussion: """
            Human output on stdout by default; --json prints {package, valid, id, version, errors, \
            warnings, issues: [{severity, code, path, message}]} for CI.

            Exit codes: 0 no errors (warnings allowed); 1 errors found; 2 the package cannot be \
            read (I/O, corrupt archive); 64 bad usage.
            """
    )

    @Argument(help: "The package: a folder or a .tar.gz.") var package: String
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        do {
            let report = try PackageService().lint(PackageCLI.absolute(package))
            let shown = LintReport(package: package, manifest: report.manifest, issues: report.issues)
            CLIOutput.out(json ? shown.json.jsonText + "\n" : shown.text)
            if report.hasErrors { throw ExitCode(1) }
        } catch let error as PackageError {
            throw PackageCLI.fail(error)
        }
    }
}
