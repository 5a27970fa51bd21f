import Foundation
import JSON
import Schema
import Testing
import TestSupport

@testable import ToolPackage

/// The starter tool packages in `Manifests/`: every manifest is well formed (DESIGN §3; it also decodes strictly and
/// the project's linter finds nothing), and every example runs through the real `omega-exec jail` with the
/// manifest's limits, exits 0, prints output that satisfies the output schema and, for `exact` examples, equals
/// the example's output (JSON equality). Declared secrets get test values (`WEBHOOK_SECRET=test-secret-value`)
/// and must never appear on stdout, stderr or in the run's artifacts.
///
/// The binary is `$OMEGA_EXEC_BIN`, else the `omega-exec` built beside this test bundle (the directory of the test
/// executable or one of its parents up to `.build/<config>`), else `<package>/.build/debug/omega-exec`.
@Suite(.serialized) struct StarterToolsTests {
    @Test func everyStarterToolIsPresent() throws {
        let names = StarterTools.packageNames()
        for expected in [
            "csv_analyze", "text_checklist", "python_compute", "diff_patch", "json_query", "webhook_prepare",
            "text_stats", "regex_extract", "web_fetch_extract", "webhook_send",
        ] {
            #expect(names.contains(expected), "Manifests/\(expected) is missing")
        }
        #expect(names.count >= 10)
    }

    @Test(arguments: StarterTools.packageNames())
    func manifestIsWellFormed(_ name: String) throws {
        let package = try StarterTools.load(name)
        for problem in StarterTools.lint(package) {
            Issue.record("Manifests/\(name)/omega.json: \(problem)")
        }
        // The project's own strict decoding and linter (what `omega-exec lint` and `omega-exec test` run).
        do {
            let text = try String(contentsOfFile: package.directory + "/omega.json", encoding: .utf8)
            _ = try ToolManifest.decode(text: text, file: "omega.json")
        } catch {
            Issue.record("Manifests/\(name)/omega.json does not decode: \(error)")
        }
        let report = Linter().lint(folder: package.directory, displayName: "Manifests/\(name)")
        for issue in report.issues {
            Issue.record("Manifests/\(name): \(issue)")
        }
        let fm = FileManager.default
        for file in ["main.py", "README.md"] {
            #expect(fm.fileExists(atPath: package.directory + "/" + file), "Manifests/\(name)/\(file) is missing")
        }
    }

    @Test(arguments: StarterTools.exampleCases())
    func exampleRunsInTheJail(_ example: StarterExampleCase) throws {
        let package = try StarterTools.load(example.package)
        let manifest = package.manifest
        let spec = try #require(manifest["examples"]?.arrayValue?[example.index])
        let input = try #require(spec["input"])
        let outbox = try StarterTools.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(atPath: outbox) }

        let verdict = try StarterTools.runInJail(package, input: input, outbox: outbox)
        try #require(
            verdict.status == "ok" && verdict.exitCode == 0,
            "\(example): \(verdict)")
        let output: JSONValue
        do {
            output = try JSONParser().parse(verdict.stdout)
        } catch {
            Issue.record("\(example): stdout is not one JSON document (\(error)): \(verdict.stdout.prefix(800))")
            return
        }

        // Every output satisfies the declared output schema; exact examples must also equal their output.
        let schema = try JSONSchema.compile(try #require(manifest["output"], "\(example): no output schema"))
        let validation = schema.validate(output)
        #expect(
            validation.isValid,
            "\(example): output does not match the output schema: \(validation.errors.map(\.description))")
        switch spec["outputMatch"]?.stringValue ?? (spec["output"] == nil ? "schema" : "exact") {
        case "exact":
            let expected = try #require(spec["output"], "\(example): an exact example needs an output")
            #expect(output == expected, "\(example): got \(output.jsonText)\nexpected \(expected.jsonText)")
        case "schema":
            break  // outputs with timestamps: the schema validation above is the check
        case let other:
            Issue.record("\(example): unknown outputMatch \(other)")
        }

        // Declared secrets never leave the tool: not on stdout, not on stderr, not in its artifacts.
        for secret in StarterTools.secretValues(of: manifest) {
            #expect(!verdict.stdout.contains(secret), "\(example): a secret value appears on stdout")
            #expect(!verdict.stderr.contains(secret), "\(example): a secret value appears on stderr")
            for file in (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? [] {
                let text = (try? String(contentsOfFile: outbox + "/" + file, encoding: .utf8)) ?? ""
                #expect(!text.contains(secret), "\(example): a secret value appears in artifact \(file)")
            }
        }
    }

    /// The webhook tool puts exactly the delivery it printed into its outbox, `/work/out/delivery.json`, and the
    /// signature is the HMAC-SHA256 of the body with the test secret.
    @Test func webhookDeliveryLandsInTheOutbox() throws {
        let package = try StarterTools.load("webhook_prepare")
        let input: JSONValue = [
            "url": "https://hooks.example.com/omega", "event": "order.created",
            "payload": ["orderId": "A-1001", "total": 42.5, "items": [["sku": "pen", "qty": 3]]],
            "timestamp": 1_700_000_000,
        ]
        let outbox = try StarterTools.temporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(atPath: outbox) }
        let verdict = try StarterTools.runInJail(package, input: input, outbox: outbox)
        try #require(verdict.status == "ok", "\(verdict)")
        let printed = try JSONParser().parse(verdict.stdout)
        let written = try JSONParser().parse(String(contentsOfFile: outbox + "/delivery.json", encoding: .utf8))
        var expected = try #require(printed.objectValue)
        #expect(expected.removeValue(forKey: "outbox") == "/work/out/delivery.json")
        #expect(written == .object(expected))
        #expect(
            printed["headers"]?["X-Signature-256"]
                == "sha256=bd15912da0fdd52b48a4ef9f610019a647c322c60e829a0cd87a3c06190a0e01")
    }

    /// Without its secret the webhook tool refuses with a JSON error object and a non-zero exit.
    @Test func webhookWithoutSecretFailsCleanly() throws {
        let package = try StarterTools.load("webhook_prepare")
        let input: JSONValue = ["url": "https://hooks.example.com/omega", "event": "ping", "payload": nil]
        let verdict = try StarterTools.runInJail(package, input: input, outbox: nil, environment: [:])
        #expect(verdict.status == "runtime_error", "\(verdict)")
        let output = try JSONParser().parse(verdict.stdout)
        #expect(output["error"]?["code"] == "MISSING_SECRET", "\(verdict)")
    }

    /// Bad input a tool detects itself ends with exit ≠ 0 and `{"error": {"code", "message"}}` on stdout.
    @Test(arguments: [
        StarterBadInput("json_query", #"{"data": [1], "query": ".[] | frobnicate"}"#, "INVALID_QUERY"),
        StarterBadInput(
            "diff_patch", #"{"mode": "patch", "original": "a\nb\n", "patch": "@@ -1,2 +1,2 @@\n a\n-c\n+d\n"}"#,
            "PATCH_MISMATCH"),
        StarterBadInput("regex_extract", #"{"text": "aaaa", "patterns": {"bad": "(a+)+$"}}"#, "UNSAFE_PATTERN"),
        StarterBadInput("python_compute", #"{"code": "open('/etc/passwd').read()"}"#, "EXECUTION_ERROR"),
        StarterBadInput("python_compute", #"{"code": "().__class__.__bases__"}"#, "FORBIDDEN"),
        StarterBadInput("csv_analyze", #"{"csv": "a,b\n1,2\n", "unknown": true}"#, "INVALID_INPUT"),
        StarterBadInput("text_checklist", #"{"text": 42}"#, "INVALID_INPUT"),
        StarterBadInput("text_stats", #"{"text": "x", "topWords": -1}"#, "INVALID_INPUT"),
    ])
    func badInputIsAnErrorObject(_ bad: StarterBadInput) throws {
        let package = try StarterTools.load(bad.tool)
        let verdict = try StarterTools.runInJail(package, input: try JSONParser().parse(bad.input), outbox: nil)
        #expect(verdict.status == "runtime_error", "\(bad): \(verdict)")
        let output = try JSONParser().parse(verdict.stdout)
        #expect(output["error"]?["code"]?.stringValue == bad.code, "\(bad): \(verdict.stdout)")
        #expect(output["error"]?["message"]?.stringValue?.isEmpty == false, "\(bad): \(verdict.stdout)")
    }
}

// MARK: - Packages

/// One example of one package, as a test argument.
struct StarterExampleCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var package: String
    var index: Int
    var name: String

    var testDescription: String { "\(package)/\(name)" }
    var description: String { "\(package)/\(name)" }
}

/// An input a tool must refuse with a JSON error object carrying `code`.
struct StarterBadInput: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var tool: String
    var input: String
    var code: String

    init(_ tool: String, _ input: String, _ code: String) {
        self.tool = tool
        self.input = input
        self.code = code
    }

    var testDescription: String { "\(tool) → \(code)" }
    var description: String { "\(tool) → \(code)" }
}

/// A loaded package folder.
private struct StarterPackage {
    var name: String
    var directory: String
    var manifest: JSONValue
}

/// The JSON result of `omega-exec jail --json` (DESIGN §2).
private struct JailVerdict: Decodable, CustomStringConvertible {
    var status: String
    var exitCode: Int?
    var signal: Int?
    var wallMs: Double
    var stdout: String
    var stderr: String
    var stdoutTruncated: Bool
    var error: String?

    var description: String {
        "status=\(status) exit=\(exitCode.map(String.init) ?? "nil") signal=\(signal.map(String.init) ?? "nil") "
            + "wallMs=\(wallMs) error=\(error ?? "nil") stdout=\(stdout.prefix(800).debugDescription) "
            + "stderr=\(stderr.suffix(1500).debugDescription)"
    }
}

private struct StarterToolsFailure: Error, CustomStringConvertible {
    var description: String
}

private enum StarterTools {
    /// The secret test value declared secret env vars get (the exact webhook examples are signed with it).
    static let testSecrets = ["WEBHOOK_SECRET": "test-secret-value"]

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static var manifestsDirectory: String { packageRoot + "/Manifests" }

    /// Folders of `Manifests/` that hold an `omega.json`, sorted.
    static func packageNames() -> [String] {
        let fm = FileManager.default
        let entries = (try? fm.contentsOfDirectory(atPath: manifestsDirectory)) ?? []
        return entries.filter { fm.fileExists(atPath: "\(manifestsDirectory)/\($0)/omega.json") }.sorted()
    }

    /// Every example of every package without network egress (a package whose manifest does not parse
    /// contributes none; the lint test reports it). The network tools' examples need their hosts: the egress
    /// suite (`Tests/egress-internet`) runs them with `omega-exec test` against its own small internet.
    static func exampleCases() -> [StarterExampleCase] {
        packageNames().flatMap { name -> [StarterExampleCase] in
            guard let package = try? load(name), let examples = package.manifest["examples"]?.arrayValue,
                package.manifest["network"] == nil
            else {
                return []
            }
            return examples.enumerated().map { index, example in
                StarterExampleCase(package: name, index: index, name: example["name"]?.stringValue ?? "#\(index)")
            }
        }
    }

    static func load(_ name: String) throws -> StarterPackage {
        let directory = manifestsDirectory + "/" + name
        let text = try String(contentsOfFile: directory + "/omega.json", encoding: .utf8)
        return StarterPackage(name: name, directory: directory, manifest: try JSONParser().parse(text))
    }

    static func secretValues(of manifest: JSONValue) -> [String] {
        (manifest["env"]?.arrayValue ?? []).compactMap { variable in
            guard variable["secret"]?.boolValue == true, let name = variable["name"]?.stringValue else { return nil }
            return testSecrets[name]
        }
    }

    // MARK: Lint (the parts of DESIGN §3 a starter tool must get right)

    static let topLevelKeys: Set<String> = [
        "schemaVersion", "id", "version", "title", "description", "keywords", "input", "output", "env", "scopes",
        "risk", "execution", "limits", "examples",
    ]
    /// Top-level fields a starter may leave out (`network`: only the network tools have egress).
    static let optionalTopLevelKeys: Set<String> = ["network"]

    static func lint(_ package: StarterPackage) -> [String] {
        var problems: [String] = []
        guard let manifest = package.manifest.objectValue else { return ["the manifest is not an object"] }
        for key in manifest.keys
        where !topLevelKeys.contains(key) && !optionalTopLevelKeys.contains(key) && !key.hasPrefix("x-") {
            problems.append("unknown field \(key)")
        }
        for key in topLevelKeys where manifest[key] == nil {
            problems.append("missing field \(key)")
        }
        if manifest["schemaVersion"] != 1 { problems.append("schemaVersion must be 1") }
        let id = manifest["id"]?.stringValue ?? ""
        if id.range(of: #"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"#, options: .regularExpression) == nil {
            problems.append("id \(id) is not dotted lowercase")
        }
        let version = manifest["version"]?.stringValue ?? ""
        if version.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) == nil {
            problems.append("version \(version) is not semver")
        }
        for key in ["title", "description"] where (manifest[key]?.stringValue ?? "").isEmpty {
            problems.append("\(key) is empty")
        }
        if (manifest["keywords"]?.arrayValue ?? []).isEmpty { problems.append("no keywords") }

        // Input schema: draft 2020-12, a closed object, every property described.
        let input = manifest["input"]
        if input?["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
            problems.append("input.$schema must be the draft 2020-12 URI")
        }
        if input?["type"] != "object" { problems.append("input.type must be object") }
        if input?["additionalProperties"] != false { problems.append("input.additionalProperties must be false") }
        for (name, property) in input?["properties"]?.objectValue ?? [:]
        where (property["description"]?.stringValue ?? "").isEmpty {
            problems.append("input property \(name) has no description")
        }
        if manifest["output"]?.objectValue == nil { problems.append("output schema missing") }

        // Env, scopes, risk.
        for variable in manifest["env"]?.arrayValue ?? [] {
            let name = variable["name"]?.stringValue ?? ""
            if name.range(of: "^[A-Z_][A-Z0-9_]*$", options: .regularExpression) == nil {
                problems.append("env name \(name) is invalid")
            }
            let allowed: Set<String> = ["name", "description", "required", "secret"]
            for key in (variable.objectValue ?? [:]).keys where !allowed.contains(key) && !key.hasPrefix("x-") {
                problems.append("env \(name): unknown field \(key)")
            }
        }
        let scopes = (manifest["scopes"]?.arrayValue ?? []).compactMap(\.stringValue)
        for scope in scopes where scope.range(of: "^[a-z][a-z_]*$", options: .regularExpression) == nil {
            problems.append("scope \(scope) is not a lowercase word")
        }
        let writeScopes = scopes.filter { $0.hasPrefix("write_") || $0.hasPrefix("send_") }
        let risk = manifest["risk"]
        if !["low", "medium", "high"].contains(risk?["level"]?.stringValue ?? "") {
            problems.append("risk.level must be low, medium or high")
        }
        if risk?["externalWrite"] == true && writeScopes.isEmpty {
            problems.append("externalWrite: true needs a write_* or send_* scope")
        }
        if risk?["readOnly"] == true && !writeScopes.isEmpty {
            problems.append("readOnly: true with write scopes \(writeScopes)")
        }
        if risk?["externalWrite"] == true && risk?["readOnly"] == true {
            problems.append("a tool cannot be readOnly and externalWrite")
        }

        // Execution and limits.
        if manifest["execution"]?["binding"] != "sandbox_job" { problems.append("execution.binding must be sandbox_job") }
        let command = (manifest["execution"]?["command"]?.arrayValue ?? []).compactMap(\.stringValue)
        if command.isEmpty { problems.append("execution.command is empty") }
        let limits = manifest["limits"]
        for (key, range) in [
            ("timeoutSeconds", 1...3600), ("memoryMB", 16...65536), ("pids", 1...4096),
            ("outputBytes", 1024...(256 << 20)),
        ] {
            if let value = limits?[key]?.doubleValue, range.contains(Int(value)) { continue }
            problems.append("limits.\(key) missing or outside \(range)")
        }

        // Examples: 2-4, uniquely named, with an input and a valid outputMatch.
        let examples = manifest["examples"]?.arrayValue ?? []
        if !(2...4).contains(examples.count) { problems.append("has \(examples.count) examples (want 2-4)") }
        let names = examples.compactMap { $0["name"]?.stringValue }
        if Set(names).count != examples.count { problems.append("example names are missing or not unique") }
        for example in examples {
            let name = example["name"]?.stringValue ?? "?"
            if example["input"]?.objectValue == nil { problems.append("example \(name): input is not an object") }
            let match = example["outputMatch"]?.stringValue ?? "exact"
            if !["exact", "schema"].contains(match) { problems.append("example \(name): outputMatch \(match)") }
            if match == "exact" && example["output"] == nil { problems.append("example \(name): no output") }
            let allowed: Set<String> = ["name", "input", "output", "outputMatch"]
            for key in (example.objectValue ?? [:]).keys where !allowed.contains(key) && !key.hasPrefix("x-") {
                problems.append("example \(name): unknown field \(key)")
            }
        }
        return problems
    }

    // MARK: Running a tool in the jail

    static func temporaryDirectory(_ label: String) throws -> String {
        Fixture.directory("starter-\(label)", mode: 0o777)  // the tool runs as an unprivileged mapped uid
    }

    /// `omega-exec jail --json --ro-bind <pkg>:/tool --stdin <input> [--bind <outbox>:/work/out]
    /// [--env NAME=value] --timeout T --memory MM --pids P -- <command>`.
    static func runInJail(
        _ package: StarterPackage, input: JSONValue, outbox: String?, environment: [String: String]? = nil
    ) throws -> JailVerdict {
        let binary = try locateBinary()
        let scratch = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let inputPath = scratch + "/input.json"
        try Data(input.jsonText.utf8).write(to: URL(fileURLWithPath: inputPath))
        chmod(inputPath, 0o644)

        let manifest = package.manifest
        let limits = manifest["limits"]
        let timeout = Int(limits?["timeoutSeconds"]?.doubleValue ?? 300)
        let memory = Int(limits?["memoryMB"]?.doubleValue ?? 256)
        let pids = Int(limits?["pids"]?.doubleValue ?? 64)
        let outputBytes = Int(limits?["outputBytes"]?.doubleValue ?? Double(1 << 20))
        var arguments = [
            "jail", "--json", "--ro-bind", "\(package.directory):/tool", "--stdin", inputPath,
            "--timeout", String(timeout), "--memory", "\(memory)M", "--pids", String(pids),
            "--output-limit", String(outputBytes),
        ]
        if let outbox { arguments += ["--bind", "\(outbox):/work/out"] }
        let values = environment ?? testSecrets
        for variable in manifest["env"]?.arrayValue ?? [] {
            if let name = variable["name"]?.stringValue, let value = values[name] {
                arguments += ["--env", "\(name)=\(value)"]
            }
        }
        arguments += ["--"] + (manifest["execution"]?["command"]?.arrayValue ?? []).compactMap(\.stringValue)

        let outcome = try runProcess(binary, arguments, scratch: scratch, timeout: Double(timeout + 30))
        do {
            return try JSONDecoder().decode(JailVerdict.self, from: Data(outcome.stdout.utf8))
        } catch {
            throw StarterToolsFailure(
                description: "omega-exec did not print a result object (\(error)): exit \(outcome.status) "
                    + "stdout=\(outcome.stdout.prefix(600)) stderr=\(outcome.stderr.prefix(600))")
        }
    }

    /// Runs a host program (TestSupport's runner); kills it after `timeout`.
    private static func runProcess(_ executable: String, _ arguments: [String], scratch: String, timeout: Double)
        throws -> (status: Int32, stdout: String, stderr: String)
    {
        let result = try HostProcess.run([executable] + arguments, timeout: timeout)
        return (result.status, result.stdout, result.stderr)
    }

    /// The built `omega-exec` (TestSupport's one locator).
    static func locateBinary() throws -> String {
        guard let binary = OmegaCLI.binary else {
            throw StarterToolsFailure(description: "omega-exec not found: set OMEGA_EXEC_BIN or run `swift build`")
        }
        return binary
    }
}
