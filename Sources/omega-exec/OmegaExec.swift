import ArgumentParser
@_exported import JailCLI

/// The `omega-exec` command line (the full one: `omega-exec` runs `jail` itself and executes this
/// program, beside it, for everything else): a thin surface over the Service layer (and the Jail for `jail` and `doctor`)
/// modules. It holds no business logic.
@main
struct OmegaExec: AsyncParsableCommand {
    /// The appliance's version (`--version`, MCP `serverInfo`).
    static let version = "0.14.0"

    static let configuration = CommandConfiguration(
        commandName: "omega-exec",
        abstract: "Run untrusted tool packages in a Linux namespace + seccomp jail.",
        version: version,
        subcommands: [
            JailCommand.self, TryCommand.self, TestCommand.self, RunsCommand.self, CredentialsCommand.self,
            DoctorCommand.self, PackCommand.self, VerifyCommand.self, InstallCommand.self, KeygenCommand.self,
            LintCommand.self, YankCommand.self, ValidateCommand.self, SearchCommand.self, RegistryCommand.self,
            MCPCommand.self, KeysCommand.self, ServeCommand.self, AuditCommand.self,
        ]
    )
}
