import ArgumentParser
import Foundation
import JSON
import Service
import ToolRuntime

/// `omega-exec search QUERY [--limit N] [--json] [filters]`, or `--queries FILE` for one query a line.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the registry (installed, starter and imported tools).",
        discussion: """
            Ranked with BM25F over id, title, keywords and description; pinned tools that match come \
            first. --runnable keeps tools that can run now: installed, served here, circuit closed and \
            every required variable in the vault. With --queries FILE each line of FILE is one query and \
            each answer one JSON line (the index is loaded once).

            Exit codes: 0 (even with no result); 65 invalid query or filter (INVALID_INPUT, the error object on stdout).
            """
    )

    @Argument(help: "The words to search for.") var query: String?
    @Option(help: "Results wanted, 1 to 100.") var limit = 10
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(help: "A file of queries, one a line; answers as JSON Lines.") var queries: String?
    @Option(help: "Only this binding (repeatable): sandbox_job, inproc_safe, mcp_remote, openapi_proxy.")
    var binding: [String] = []
    @Option(help: "Only this risk level (repeatable): low, medium, high.") var risk: [String] = []
    @Option(help: "Only tools asking for this scope (repeatable; all must match).") var scope: [String] = []
    @Flag(help: "Only installed tools.") var installed = false
    @Flag(help: "Only installed tools signed by a trusted key.") var verified = false
    @Flag(help: "Only tools that can run now.") var runnable = false
    @Option(help: "The user whose pins and credentials count.") var user: String?

    func validate() throws {
        guard (query == nil) != (queries == nil) else {
            throw ValidationError("give either QUERY or --queries FILE")
        }
    }

    func request(_ text: String) -> ToolSearchRequest {
        ToolSearchRequest(
            query: text, limit: limit, bindings: binding, risks: risk, scopes: scope, installed: installed,
            verified: verified, runnable: runnable, user: user)
    }

    func run() throws {
        let service = try RegistrySession.open()
        if let queries {
            try answer(file: queries, service: service)
            return
        }
        let results = try CLIRequestParsing.orExit { () throws(OmegaError) in try service.search(request(query!)) }
        if json {
            CLIOutput.out(JSONValue.array(results.map(\.json)).prettyText + "\n")
        } else {
            SearchRendering.print(results)
        }
    }

    /// One JSON line per query line: `{"query", "results"}` or `{"query", "error"}`; blank lines skipped.
    private func answer(file: String, service: RegistryService) throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw CLIRequestParsing.exit(
                with: OmegaError(.invalidInput, "--queries: cannot read \(file) as UTF-8 text", details: ["field": "queries"]))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let query = String(line).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !query.isEmpty else { continue }
            var answer: [String: JSONValue] = ["query": .string(query)]
            do {
                answer["results"] = .array(try service.search(request(query)).map(\.json))
            } catch {
                answer["error"] = error.json
            }
            CLIOutput.out(JSONValue.object(answer).jsonText + "\n")
        }
    }
}

/// Human output of search results.
enum SearchRendering {
    static func print(_ results: [ToolSearchResult]) {
        guard !results.isEmpty else {
            CLIOutput.out("no tool found\n")
            return
        }
        for result in results {
            var marks: [String] = []
            if result.pinned { marks.append("pinned") }
            if result.installed { marks.append(result.verified ? "installed, verified" : "installed") }
            if result.entry.origin == .starter { marks.append("starter") }
            let missing = result.requiredEnvVars.filter(\.missing).map(\.name)
            if !missing.isEmpty { marks.append("needs " + missing.joined(separator: ", ")) }
            if result.circuit == "open" { marks.append("circuit open") }
            let score = String(format: "%.2f", result.score)
            CLIOutput.out("\(result.entry.id)@\(result.entry.version)  [\(score)]\(marks.isEmpty ? "" : "  (" + marks.joined(separator: "; ") + ")")\n")
            let title = printable(result.entry.title ?? "")
            let description = printable(result.entry.description)
            if !title.isEmpty, title != description { CLIOutput.out("    \(title)\n") }
            CLIOutput.out("    \(description.count > 160 ? String(description.prefix(157)) + "..." : description)\n")
        }
    }

    /// `text` (an index publisher's) safe to print on a terminal: control characters (newlines and
    /// escape sequences, which could forge a result line or its marks) and bidirectional overrides become
    /// spaces.
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value)
                        || (0x2066...0x2069).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
                        ? " " : scalar
                }))
    }
}

/// The registry service a command uses.
enum RegistrySession {
    static func open() throws -> RegistryService {
        let configuration = RuntimeConfiguration.fromEnvironment()
        return try CLIRequestParsing.orExit { () throws(OmegaError) in
            let runs = try? ServiceSession.open()
            return try RegistryService(configuration: configuration, runStore: runs?.runner.store)
        }
    }
}
