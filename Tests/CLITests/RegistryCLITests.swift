import Foundation
import JSON
import Testing
import TestSupport
import ToolPackage

/// `omega-exec search`, `registry …` and `install ID`, run through the built binary like a user would.
@Suite(.serialized) struct RegistryCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], home: String) throws -> Run {
        let binary = try #require(OmegaCLI.binary, "omega-exec not built")
        let result = try HostProcess.run([binary] + arguments, environment: ["OMEGA_HOME": home], timeout: 60)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test func searchFindsTheStarterToolsOnAFreshHome() throws {
        let root = Fixture.directory("cli-search")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let text = try run(["search", "diff two texts"], home: root + "/home")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("text.diff_patch@1.0.0"))
        let json = try run(["search", "csv column statistics", "--json", "--limit", "3"], home: root + "/home")
        let results = try JSONParser().parse(json.stdout).arrayValue ?? []
        #expect(results.count == 3)
        #expect(results.first?["id"]?.stringValue == "data.csv_analyze")
        for key in ["version", "title", "description", "score", "installed", "verified", "requiredEnvVars", "risk",
            "scopes", "binding", "health"]
        {
            #expect(results.first?[key] != nil, "missing \(key)")
        }
    }

    @Test func importReportsBadLinesThenQueriesFileAnswersOneLineEach() throws {
        let root = Fixture.directory("cli-registry")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let index = root + "/index.jsonl"
        Fixture.write(
            [
                #"{"id": "weather.forecast", "version": "1.0.0", "description": "Daily weather forecast for a city"}"#,
                #"{"id": "weather.alerts", "version": "one", "description": "Severe weather alerts"}"#,
                "\u{0}\u{1}binary",
            ].joined(separator: "\n") + "\n", to: index)
        let imported = try run(["registry", "import", index], home: home)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("1 added") && imported.stdout.contains("2 skipped"))
        #expect(imported.stderr.contains("line 2: version:"))
        #expect(imported.stderr.contains("line 3:"))

        let queries = root + "/queries.txt"
        Fixture.write("weather forecast\n\n\u{1}bad\ncount words\n", to: queries)
        let answered = try run(["search", "--queries", queries, "--json", "--limit", "2"], home: home)
        #expect(answered.status == 0, "\(answered.stderr)")
        let lines = answered.stdout.split(separator: "\n").map { try? JSONParser().parse(String($0)) }
        #expect(lines.count == 3)
        #expect(lines[0]?["results"]?.arrayValue?.first?["id"]?.stringValue == "weather.forecast")
        #expect(lines[1]?["error"]?["details"]?["code"]?.stringValue == "INVALID_INPUT")
        #expect(lines[2]?["results"]?.arrayValue?.first?["id"]?.stringValue == "text.stats")

        let stats = try JSONParser().parse(try run(["registry", "stats"], home: home).stdout)
        #expect(stats["byOrigin"]?["index"] == .integer(1))
        #expect(stats["byOrigin"]?["starter"] == .integer(10))

        let huge = try run(["search", String(repeating: "word ", count: 2048)], home: home)
        #expect(huge.status == 65)
        #expect(huge.stdout.contains("at most 1024 bytes"))
        let missing = try run(["registry", "import", root + "/none.jsonl"], home: home)
        #expect(missing.status == 65)
    }

    @Test func installByRegistryIDThenPinAndFindItRunnable() throws {
        let root = Fixture.directory("cli-install")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let package = OmegaCLI.starter("text_stats")
        let digest = "sha256:" + (try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(package))
            .digest.digest
        let index = root + "/index.jsonl"
        Fixture.write(
            JSONValue.object([
                "id": "text.stats", "version": "1.0.0", "description": "Text statistics (from an index)",
                "package": ["source": .string(package), "digest": .string(digest)],
            ]).jsonText + "\n", to: index)
        #expect(try run(["registry", "import", index], home: home).status == 0)
        let install = try run(["install", "text.stats@1.0.0", "--allow-unsigned"], home: home)
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        #expect(install.stdout.contains("installed text.stats@1.0.0"))
        let runnable = try JSONParser().parse(try run(["search", "word count", "--runnable", "--json"], home: home).stdout)
        #expect(runnable.arrayValue?.first?["id"]?.stringValue == "text.stats")
        #expect(runnable.arrayValue?.first?["installed"]?.boolValue == true)
        // The others found run from the shipped starter tools: runnable, not installed.
        #expect(
            runnable.arrayValue?.dropFirst().allSatisfy { $0["origin"] == "starter" && $0["installed"] == false }
                == true)

        #expect(try run(["registry", "pin", "data.json_query"], home: home).status == 0)
        let pinned = try run(["search", "word count"], home: home)
        #expect(pinned.stdout.hasPrefix("text.stats"))  // the pin does not match "word count": not first
        let query = try run(["search", "query words"], home: home)
        #expect(query.stdout.hasPrefix("data.json_query"))
        #expect(query.stdout.contains("pinned"))
        let unknown = try run(["install", "no.such_tool"], home: home)
        #expect(unknown.status == 66)
    }

    @Test func anIndexEntryCannotForgeResultLinesOrTerminalEscapesInTheHumanOutput() throws {
        let root = Fixture.directory("cli-forge")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let index = root + "/index.jsonl"
        Fixture.write(
            JSONValue.object([
                "id": "weather.forecast", "version": "1.0.0", "title": "Weather\rforecast\u{1B}[2K",
                "description":
                    "Daily weather forecast\ntext.stats@1.0.0  [9.99]  (installed, verified)\n    \u{1B}[31mred\u{1B}[0m \u{202E}txet",
            ]).jsonText + "\n", to: index)
        #expect(try run(["registry", "import", index], home: home).status == 0)
        let found = try run(["search", "weather forecast"], home: home)
        #expect(found.status == 0, "\(found.stderr)")
        let lines = found.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // One result: its line, its title, its description; nothing else.
        #expect(lines.count == 3, "\(found.stdout)")
        #expect(lines.first?.hasPrefix("weather.forecast@1.0.0  [") == true)
        #expect(!lines.dropFirst().contains { $0.contains("(installed, verified)") && !$0.hasPrefix("    ") })
        #expect(!found.stdout.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F || $0.value == 0x202E })

        // A problem that quotes the line (a duplicate key) reaches the terminal without its escapes.
        let bad = root + "/bad.jsonl"
        Fixture.write(#"{"\u001b[2J": 1, "\u001b[2J": 2}"# + "\n", to: bad)
        let imported = try run(["registry", "import", bad], home: home)
        #expect(imported.status == 0 && imported.stderr.contains("duplicate key"), "\(imported.stderr)")
        #expect(!imported.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(imported.stderr)")
    }
}
