import ArgumentParser
import Credentials
import Foundation
import JSON
import Service
import ToolRuntime

/// `omega-exec credentials set|list|rm`: the encrypted vault in `<OMEGA_HOME>/vault`.
struct CredentialsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Store, list and remove credentials in the encrypted vault.",
        discussion: """
            Scopes: global (default), user:NAME, tool:ID. A run of tool T by user U takes each variable \
            from tool:T, then user:U, then global. Values are read from a hidden prompt or stdin, never \
            from the command line (where other users could see them).
            """,
        subcommands: [Set.self, List.self, Remove.self]
    )

    static func scope(_ text: String) throws -> CredentialScope {
        guard let scope = CredentialScope(parsing: text) else {
            throw ValidationError("--scope: expected global, user:NAME or tool:ID, got \"\(text)\"")
        }
        return scope
    }

    static let service = CredentialService()

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a credential (value from a hidden prompt or stdin).")
        @Argument(help: "The variable name, e.g. FIRECRAWL_API_KEY.") var name: String
        @Option(help: "global, user:NAME or tool:ID.") var scope = "global"

        func validate() throws {
            guard CredentialService.isValidName(name) else {
                throw ValidationError("NAME: expected an environment variable name ([A-Z_][A-Z0-9_]*), got \"\(name)\"")
            }
            _ = try CredentialsCommand.scope(scope)
        }

        func run() throws {
            let value: String?
            if Terminal.isInteractive {
                value = Terminal.readLine(prompt: "\(name): ", hidden: true)
            } else {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                value = String(data: data, encoding: .utf8).map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
            }
            let scope = try CredentialsCommand.scope(self.scope)
            try CLIRequestParsing.orExit { () throws(OmegaError) in
                try CredentialsCommand.service.set(name, value: value ?? "", scope: scope)
            }
            CLIOutput.out("stored \(name) (\(self.scope))\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored credentials (names and scopes, never values).")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let entries = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try CredentialsCommand.service.entries()
            }
            if json {
                CLIOutput.out(
                    JSONValue.array(entries.map { ["name": .string($0.name), "scope": .string($0.scope.description)] })
                        .prettyText + "\n")
                return
            }
            for entry in entries { CLIOutput.out("\(entry.scope.description)\t\(entry.name)\n") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a stored credential.")
        @Argument(help: "The variable name.") var name: String
        @Option(help: "global, user:NAME or tool:ID.") var scope = "global"

        func run() throws {
            let scope = try CredentialsCommand.scope(self.scope)
            let removed = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try CredentialsCommand.service.remove(name, scope: scope)
            }
            CLIOutput.out(removed ? "removed \(name) (\(self.scope))\n" : "no \(name) in \(self.scope)\n")
            if !removed { throw ExitCode(1) }
        }
    }
}
