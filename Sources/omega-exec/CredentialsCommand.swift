import ArgumentParser
import Credentials
import Foundation
import JSON
import Schema
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

    static func vault() throws -> CredentialVault {
        do {
            return try CredentialVault(directory: OmegaHome().vaultDirectory)
        } catch {
            throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot open the vault: \(error)"))
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a credential (value from a hidden prompt or stdin).")
        @Argument(help: "The variable name, e.g. FIRECRAWL_API_KEY.") var name: String
        @Option(help: "global, user:NAME or tool:ID.") var scope = "global"

        func validate() throws {
            guard CredentialVault.isValidName(name) else {
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
            guard let value, !value.isEmpty else {
                throw CLIRequestParsing.exit(
                    with: OmegaError(.invalidInput, "no value given for \(name)", details: ["field": "value"]))
            }
            do {
                try CredentialsCommand.vault().set(name, value: value, scope: try CredentialsCommand.scope(scope))
            } catch let error as VaultError {
                throw CLIRequestParsing.exit(
                    with: OmegaError(.invalidInput, error.description, details: ["field": "value"]))
            }
            CLIOutput.out("stored \(name) (\(scope))\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored credentials (names and scopes, never values).")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let entries = try CredentialsCommand.vault().entries
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
            let removed: Bool
            do {
                removed = try CredentialsCommand.vault().remove(name, scope: try CredentialsCommand.scope(scope))
            } catch let error as VaultError {
                throw CLIRequestParsing.exit(with: OmegaError(.internalError, error.description))
            }
            CLIOutput.out(removed ? "removed \(name) (\(scope))\n" : "no \(name) in \(scope)\n")
            if !removed { throw ExitCode(1) }
        }
    }
}
