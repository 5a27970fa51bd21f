import Foundation
import JSON
import Testing
import TestSupport

@testable import ToolPackage

/// The package linter: each check reports its code at the right path.
@Suite struct LinterTests {
    typealias S = PackageTestSupport

    /// The fixture copied to a temp folder with its manifest changed by `edit`.
    func package(_ edit: (JSONValue) -> JSONValue = { $0 }, files: [String: String] = [:]) throws -> String {
        let folder = S.copyFixture(into: S.temporaryDirectory())
        let manifest = try JSONParser().parse(try String(contentsOfFile: folder + "/omega.json", encoding: .utf8))
        S.write(edit(manifest).jsonText, to: folder + "/omega.json")
        for (path, text) in files {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: folder + "/" + path).deletingLastPathComponent().path,
                withIntermediateDirectories: true)
            S.write(text, to: folder + "/" + path)
        }
        return folder
    }

    func issue(_ report: LintReport, _ code: String) -> LintIssue? { report.issues.first { $0.code == code } }

    @Test func theFixtureIsClean() throws {
        let report = try Linter().lint(S.fixture)
        #expect(report.issues.isEmpty, "\(report.issues)")
        #expect(!report.hasErrors)
        #expect(report.manifest?.id == "demo.echo")
    }

    @Test func aMissingScriptIsReportedAtItsArgument() throws {
        let report = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["python3", "src/app.py"]) })
        #expect(issue(report, "SCRIPT_MISSING")?.path == "execution.command[1]")
        #expect(report.hasErrors)
    }

    @Test func argumentsAfterDashCAreNotFiles() throws {
        let report = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["python3", "-c", "import x.py"]) })
        #expect(issue(report, "SCRIPT_MISSING") == nil)
    }

    @Test func anUnknownRuntimeIsMissing() throws {
        let report = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["no-such-runtime-xyz", "main.py"]) })
        #expect(issue(report, "PROGRAM_MISSING")?.path == "execution.command[0]")
    }

    @Test func absoluteProgramsMustBeInTheJailRuntime() throws {
        let outside = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["/opt/tool/run"]) })
        #expect(issue(outside, "PROGRAM_OUTSIDE_RUNTIME") != nil)
        let inside = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["/usr/bin/env", "python3", "main.py"]) })
        #expect(!inside.hasErrors, "\(inside.issues)")
        let absent = Linter().lint(
            folder: try package { $0.setting(["execution", "command"], to: ["/usr/bin/omega-not-here"]) })
        #expect(issue(absent, "PROGRAM_MISSING") != nil)
    }

    @Test func aPackageProgramMustBeExecutable() throws {
        let folder = try package(
            { $0.setting(["execution", "command"], to: ["./run.sh"]) }, files: ["run.sh": "#!/bin/sh\n"])
        #expect(issue(Linter().lint(folder: folder), "PROGRAM_NOT_EXECUTABLE")?.path == "execution.command[0]")
        chmod(folder + "/run.sh", 0o755)
        #expect(!Linter().lint(folder: folder).hasErrors)
    }

    @Test func invalidExampleInputsAndOutputsAreErrors() throws {
        let badInput = Linter().lint(
            folder: try package { $0.setting(["examples", "0", "input"], to: ["message": 5]) })
        #expect(issue(badInput, "EXAMPLE_INPUT_INVALID")?.path == "examples[0].input.message")
        let badOutput = Linter().lint(
            folder: try package { $0.setting(["examples", "1", "output"], to: ["text": "HELLO"]) })
        #expect(issue(badOutput, "EXAMPLE_OUTPUT_INVALID")?.path.hasPrefix("examples[1].output") == true)
        let extra = Linter().lint(folder: try package { $0.setting(["examples", "0", "input", "extra"], to: true) })
        #expect(issue(extra, "EXAMPLE_INPUT_INVALID") != nil)
    }

    @Test func schemasThatDoNotCompileAreErrors() throws {
        let report = Linter().lint(
            folder: try package { $0.setting(["input", "properties", "message", "type"], to: 12) })
        let found = issue(report, "SCHEMA_INVALID")
        #expect(found?.path.hasPrefix("input") == true, "\(report.issues)")
    }

    @Test func riskAndScopesMustAgree() throws {
        let writes = Linter().lint(
            folder: try package {
                $0.setting(["risk"], to: ["level": "medium", "externalWrite": true, "readOnly": false])
            })
        #expect(issue(writes, "RISK_SCOPE_MISMATCH")?.path == "risk.externalWrite")
        let readOnly = Linter().lint(folder: try package { $0.setting(["scopes"], to: ["write_files"]) })
        #expect(issue(readOnly, "RISK_SCOPE_MISMATCH")?.path == "risk.readOnly")
        let high = Linter().lint(folder: try package { $0.setting(["risk", "level"], to: "high") })
        #expect(issue(high, "HIGH_RISK_READ_ONLY_EFFECTS")?.severity == .warning)
        #expect(!high.hasErrors)
        let ok = Linter().lint(
            folder: try package {
                $0.setting(["risk"], to: ["level": "medium", "externalWrite": true, "readOnly": false]).setting(
                    ["scopes"], to: ["send_email"])
            })
        #expect(!ok.hasErrors)
    }

    @Test func envNamesMustBeValidAndUnique() throws {
        let bad = Linter().lint(folder: try package { $0.setting(["env"], to: [["name": "lower"]]) })
        #expect(issue(bad, "ENV_INVALID")?.path == "env[0].name")
        let dup = Linter().lint(folder: try package { $0.setting(["env"], to: [["name": "A_B"], ["name": "A_B"]]) })
        #expect(issue(dup, "ENV_INVALID")?.message.contains("duplicate") == true)
    }

    @Test func aMissingManifestAndNoExamplesAreReported() throws {
        let dir = S.temporaryDirectory()
        #expect(issue(Linter().lint(folder: dir), "MANIFEST_MISSING") != nil)
        let none = Linter().lint(folder: try package { $0.setting(["examples"], to: nil) })
        #expect(issue(none, "NO_EXAMPLES")?.severity == .warning)
    }

    @Test func archivesAreLintedAndJSONOutputIsStructured() throws {
        let dir = S.temporaryDirectory()
        let folder = try package { $0.setting(["execution", "command"], to: ["python3", "gone.py"]) }
        try PackageBuilder().build(folder: folder, output: dir + "/p.tar.gz")
        let report = try Linter().lint(dir + "/p.tar.gz")
        let json = report.json
        #expect(json["valid"] == false)
        #expect(json["errors"] == 1)
        #expect(json["issues"]?.arrayValue?.first?["code"] == "SCRIPT_MISSING")
        #expect(json["issues"]?.arrayValue?.first?["path"] == "execution.command[1]")
        #expect(report.text.contains("error   [SCRIPT_MISSING] execution.command[1]"))
    }
}
