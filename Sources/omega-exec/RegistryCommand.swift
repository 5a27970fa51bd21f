import ArgumentParser
import Foundation
import JSON
import Service
import ToolRuntime

/// `omega-exec registry import|stats|pin|unpin|pins`.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Import index files, pin tools, and see what the registry holds.",
        subcommands: [Import.self, Stats.self, Pin.self, Unpin.self, Pins.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an index file (JSON Lines, .gz or .xz), upserting by (id, version).",
            discussion: """
                One transaction: a file that cannot be read to its end changes nothing. A malformed line \
                is reported with its line number and field, and skipped. Exit codes: 0 imported (even \
                with skipped lines); 65 unreadable file (INVALID_INPUT, the error object on stdout).
                """)
        @Argument(help: "The index file.") var file: String
        @Flag(help: "Print the counts as JSON.") var json = false

        func run() throws {
            let service = try RegistrySession.open()
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            let (result, seconds) = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try service.importIndex(file: path)
            }
            if json {
                let object: JSONValue = [
                    "added": .integer(Int64(result.added)), "updated": .integer(Int64(result.updated)),
                    "unchanged": .integer(Int64(result.unchanged)), "skipped": .integer(Int64(result.skipped)),
                    "problems": .array(
                        result.problems.map {
                            ["line": .integer(Int64($0.line)), "field": .string($0.field), "message": .string($0.message)]
                        }),
                    "indexSeconds": .number((seconds * 1000).rounded() / 1000),
                ]
                CLIOutput.out(object.prettyText + "\n")
                return
            }
            // A problem may quote the line (a duplicate key): printed without its control characters.
            for problem in result.problems {
                CLIOutput.error("\(file): \(SearchRendering.printable(problem.description))")
            }
            if result.skipped > result.problems.count {
                CLIOutput.error("\(file): \(result.skipped - result.problems.count) more lines skipped")
            }
            CLIOutput.out(
                "imported \(file): \(result.added) added, \(result.updated) updated, \(result.unchanged) unchanged, \(result.skipped) skipped (search index ready in \(String(format: "%.1f", seconds)) s)\n"
            )
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What the registry holds (JSON).")
        func run() throws {
            let service = try RegistrySession.open()
            let stats = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.stats() }
            CLIOutput.out(stats.prettyText + "\n")
        }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a tool (ID or ID@VERSION): searches list it first when it matches.",
            discussion: """
                --level user (default) keeps the pin in the registry for --user; project and workspace \
                write the pins array of the policy file at OMEGA_PROJECT_POLICY or OMEGA_POLICY.
                """)
        @Argument(help: "ID or ID@VERSION.") var reference: String
        @Option(help: "user, project or workspace.") var level = "user"
        @Option(help: "The user (level user).") var user: String?

        func run() throws {
            let service = try RegistrySession.open()
            let level = try RegistryCommand.level(self.level)
            let pin = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try service.pin(reference, level: level, user: user)
            }
            CLIOutput.out("pinned \(pin.id)\(pin.version.map { "@\($0)" } ?? "") at level \(pin.level) (\(pin.source))\n")
        }
    }

    struct Unpin: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a pin.")
        @Argument(help: "The tool id.") var id: String
        @Option(help: "user, project or workspace.") var level = "user"
        @Option(help: "The user (level user).") var user: String?

        func run() throws {
            let service = try RegistrySession.open()
            let level = try RegistryCommand.level(self.level)
            let removed = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try service.unpin(id, level: level, user: user)
            }
            CLIOutput.out(removed ? "unpinned \(id)\n" : "\(id) was not pinned at level \(level.rawValue)\n")
        }
    }

    struct Pins: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the pins in force (narrowest level first).")
        @Option(help: "The user.") var user: String?
        func run() throws {
            let service = try RegistrySession.open()
            let pins = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.pins(user: user) }
            for pin in pins {
                CLIOutput.out("\(pin.id)\(pin.version.map { "@\($0)" } ?? "")  \(pin.level)  \(pin.source)\n")
            }
        }
    }

    static func level(_ text: String) throws -> RegistryService.PinLevel {
        guard let level = RegistryService.PinLevel(rawValue: text) else {
            throw ValidationError("--level: expected user, project or workspace, got \"\(text)\"")
        }
        return level
    }
}
