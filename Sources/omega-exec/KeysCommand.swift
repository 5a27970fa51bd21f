import ArgumentParser
import JSON
import Service
import ToolRuntime

/// `omega-exec keys create|list|revoke`: the API keys of the HTTP endpoint and the MCP host, in
/// `<OMEGA_HOME>/access.sqlite` (only a SHA-256 of each secret is stored).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        discussion: """
            A key's secret is printed once, by `keys create`, and stored nowhere: keep it safe. Clients send \
            it as `Authorization: Bearer omx_…`. A revoked key stops working at once, in every process.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// The key service over `OMEGA_HOME`, or the error object printed and its exit code thrown.
    static func service() throws -> KeyService {
        try CLIRequestParsing.orExit { () throws(OmegaError) in try KeyService(home: OmegaHome()) }
    }

    static let warning = "This secret is shown only now: store it safely; it cannot be shown again."

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print its secret (only now).",
            discussion: "Exit codes: 0 created; 65 bad or taken name, or bad user (INVALID_INPUT, on stdout).")
        @Option(help: "A label: 1–64 characters of A-Z a-z 0-9 . _ - and space, unique among unrevoked keys.")
        var name: String
        @Option(help: "The user the key acts for: 1–64 characters of a-z 0-9 . _ -.") var user = "local"
        @Flag(help: "Print {\"id\", \"name\", \"user\", \"secret\"} as JSON.") var json = false

        func run() throws {
            let service = try KeysCommand.service()
            let (key, secret) = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try service.create(name: name, user: user)
            }
            if json {
                let object: JSONValue = [
                    "id": .string(key.id), "name": .string(key.name), "user": .string(key.user),
                    "secret": .string(secret),
                ]
                CLIOutput.out(object.prettyText + "\n")
            } else {
                CLIOutput.out("created \(key.id) \"\(key.name)\" for user \(key.user)\n\(secret)\n")
            }
            CLIOutput.error(KeysCommand.warning)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys, revoked ones included (never a secret).")
        @Flag(help: "Print a JSON array.") var json = false

        func run() throws {
            let service = try KeysCommand.service()
            let keys = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.list() }
            if json {
                CLIOutput.out(JSONValue.array(keys.map(\.json)).prettyText + "\n")
                return
            }
            for key in keys {
                let state = key.revokedAtMs.map { "revoked " + RunsCommand.time($0) } ?? "active"
                let used = key.lastUsedAtMs.map(RunsCommand.time) ?? "never"
                CLIOutput.out(
                    "\(key.id)  \(key.user)  created \(RunsCommand.time(key.createdAtMs))  last used \(used)  \(state)  \(key.name)\n"
                )
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: its secret stops working at once.",
            discussion: "Exit codes: 0 revoked (or already revoked); 65 malformed or unknown id (INVALID_INPUT).")
        @Argument(help: "The key id (key_ and 16 hex digits).") var id: String

        func run() throws {
            let service = try KeysCommand.service()
            let revoked = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.revoke(id: id) }
            CLIOutput.out(revoked ? "revoked \(id)\n" : "\(id) was already revoked\n")
        }
    }
}
