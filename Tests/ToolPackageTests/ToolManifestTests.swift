import Foundation
import JSON
import Testing
import TestSupport

@testable import ToolPackage

/// Strict decoding of `omega.json`, semver, and the MCP mapping.
@Suite struct ToolManifestTests {
    static let base: JSONValue = [
        "schemaVersion": 1,
        "id": "web.fetch_extract",
        "version": "1.2.0",
        "title": "Fetch",
        "description": "Fetches a page.",
        "keywords": ["web"],
        "input": ["type": "object", "properties": ["url": ["type": "string"]], "required": ["url"]],
        "output": ["type": "object"],
        "env": [["name": "API_KEY", "description": "key", "required": true, "secret": true]],
        "scopes": ["read_web"],
        "risk": ["level": "low", "externalWrite": false, "readOnly": true],
        "execution": ["binding": "sandbox_job", "command": ["python3", "main.py"]],
        "limits": ["timeoutSeconds": 300, "memoryMB": 256, "pids": 64, "outputBytes": 1_048_576],
        "examples": [["name": "basic", "input": ["url": "https://example.com"], "output": [:]]],
    ]

    @Test func theSampleManifestDecodesWithEveryField() throws {
        let m = try ToolManifest.decode(Self.base)
        #expect(m.id == "web.fetch_extract")
        #expect(m.version == SemanticVersion(1, 2, 0))
        #expect(m.execution == .sandboxJob(command: ["python3", "main.py"], network: .none))
        #expect(m.env == [.init(name: "API_KEY", description: "key", required: true, secret: true)])
        #expect(m.limits == .defaults)
        #expect(m.examples.first?.outputMatch == .exact)
    }

    @Test func absentOptionalFieldsTakeDefaults() throws {
        var doc = Self.base
        for key in ["title", "keywords", "output", "env", "scopes", "limits", "examples"] {
            doc = doc.setting([key], to: nil)
        }
        let m = try ToolManifest.decode(doc)
        #expect(m.title == m.id)
        #expect(m.env.isEmpty && m.scopes.isEmpty && m.examples.isEmpty && m.output == nil)
        #expect(m.limits == .defaults)
        #expect(m.limits.timeoutSeconds == 300, "a tool without a timeout gets the 5-minute default (issue 4)")
    }

    /// (pointer tokens to change, new value or nil to delete, expected dotted path, expected text).
    static let malformed: [([String], JSONValue?, String, String)] = [
        (["execution", "command"], "python3 main.py", "execution.command", "expected a non-empty array of strings"),
        (["execution", "command"], [], "execution.command", "expected a non-empty array of strings"),
        (["execution", "command"], ["python3", 1], "execution.command", "expected a non-empty array of strings"),
        (
            ["execution", "command"], nil, "execution.command",
            "expected a non-empty array of strings (the field is missing)"
        ),
        (
            ["execution", "binding"], "docker", "execution.binding",
            "expected one of sandbox_job, inproc_safe, mcp_remote, openapi_proxy"
        ),
        (["execution", "shell"], true, "execution.shell", "unknown field"),
        (["id"], "Web.Fetch", "id", "expected a dotted lowercase name"),
        (["id"], "fetch", "id", "expected a dotted lowercase name"),
        (["id"], .string("a." + String(repeating: "b", count: 130)), "id", "at most 128 characters"),
        (["id"], nil, "id", "(the field is missing)"),
        (["version"], "1.2", "version", "expected a semantic version"),
        (["version"], "01.2.0", "version", "leading zero"),
        (["version"], 1, "version", "expected a semantic version string"),
        (["schemaVersion"], 2, "schemaVersion", "expected 1, got 2"),
        (["description"], "", "description", "expected a non-empty string"),
        (["keywords"], "web", "keywords", "expected an array of strings"),
        (["input"], "object", "input", "expected a JSON Schema object"),
        (["input"], nil, "input", "expected a JSON Schema object (the field is missing)"),
        (["output"], [1], "output", "expected a JSON Schema object"),
        (
            ["env", "0", "name"], "api-key", "env[0].name",
            "expected an environment variable name matching ^[A-Z_][A-Z0-9_]*$"
        ),
        (["env", "0", "secret"], "yes", "env[0].secret", "expected true or false"),
        (["env", "0", "scope"], "x", "env[0].scope", "unknown field"),
        (["env"], ["name": "A"], "env", "expected an array"),
        (["scopes"], ["Read-Web"], "scopes[0]", "expected a scope name matching ^[a-z][a-z0-9_]*$"),
        (["scopes"], ["read_web", "read_web"], "scopes[1]", "duplicate"),
        (["risk", "level"], "extreme", "risk.level", "expected one of low, medium, high"),
        (["risk", "externalWrite"], nil, "risk.externalWrite", "expected true or false (the field is missing)"),
        (["risk", "externalWrite"], true, "risk.readOnly", "expected false when externalWrite is true"),
        (["risk"], nil, "risk", "expected an object {level, externalWrite, readOnly}"),
        (["limits", "timeoutSeconds"], 0, "limits.timeoutSeconds", "expected an integer in 1...3600, got 0"),
        (["limits", "memoryMB"], 1_000_000, "limits.memoryMB", "expected an integer in 16...65536"),
        (["limits", "pids"], 2.5, "limits.pids", "expected an integer in 1...4096"),
        (["limits", "cpu"], 1, "limits.cpu", "unknown field"),
        (["examples", "0", "outputMatch"], "fuzzy", "examples[0].outputMatch", "expected one of exact, schema"),
        (["examples", "0", "input"], nil, "examples[0].input", "expected the example's input document"),
        (["examples", "0", "name"], 3, "examples[0].name", "expected a non-empty string"),
        (["extra"], 1, "extra", "unknown field (expected one of"),
    ]

    @Test(arguments: malformed)
    func malformedManifestsNameThePathAndTheExpectation(
        _ tokens: [String], _ value: JSONValue?, _ path: String, _ text: String
    ) {
        let doc = Self.base.setting(tokens, to: value)
        do {
            _ = try ToolManifest.decode(doc)
            Issue.record("accepted a manifest with \(tokens) = \(String(describing: value))")
        } catch {
            #expect(error.code == "INVALID_MANIFEST")
            #expect(error.issues.contains { $0.path == path && $0.message.contains(text) }, "\(error.issues)")
        }
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let doc = Self.base.setting(["id"], to: "BAD").setting(["version"], to: "x").setting(
            ["execution", "command"], to: []
        )
        .setting(["limits", "pids"], to: 0)
        do {
            _ = try ToolManifest.decode(doc)
            Issue.record("accepted")
        } catch {
            #expect(Set(error.issues.map(\.path)) == ["id", "version", "execution.command", "limits.pids"])
            #expect(error.description.contains("execution.command: expected a non-empty array of strings"))
        }
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        #expect(throws: ManifestError.self) { try ToolManifest.decode(text: "{\n  \"id\": }") }
        do { _ = try ToolManifest.decode(text: "{\n  \"id\": }") } catch {
            #expect(error.issues[0].message.contains("line 2"))
        }
    }

    @Test func extensionFieldsAreAcceptedAtEveryLevel() throws {
        let doc = Self.base.setting(["x-vendor"], to: ["a": 1]).setting(["risk", "x-note"], to: "ok")
            .setting(["execution", "x-hint"], to: true).setting(["env", "0", "x-doc"], to: "d").setting(
                ["limits", "x-cpu"], to: 2
            )
            .setting(["examples", "0", "x-tag"], to: "t")
        let m = try ToolManifest.decode(doc)
        #expect(m.extensions == ["x-vendor": ["a": 1]])
    }

    @Test func eachBindingDecodesItsOwnFields() throws {
        let cases: [(JSONValue, ToolManifest.Execution)] = [
            (["binding": "inproc_safe", "builtin": "text.count"], .inprocSafe(builtin: "text.count")),
            (
                ["binding": "mcp_remote", "server": "github", "tool": "create_issue"],
                .mcpRemote(server: "github", tool: "create_issue")
            ),
            (
                [
                    "binding": "openapi_proxy", "method": "GET", "url": "https://api.example.com/v1/x",
                    "operationId": "getX",
                ],
                .openAPIProxy(method: "GET", url: "https://api.example.com/v1/x", operationId: "getX")
            ),
            (
                ["binding": "sandbox_job", "command": ["sh", "run.sh"], "network": "none"],
                .sandboxJob(command: ["sh", "run.sh"], network: .none)
            ),
        ]
        for (execution, expected) in cases {
            #expect(try ToolManifest.decode(Self.base.setting(["execution"], to: execution)).execution == expected)
        }
        #expect(throws: ManifestError.self) {
            try ToolManifest.decode(
                Self.base.setting(
                    ["execution"], to: ["binding": "mcp_remote", "server": "github", "tool": "x", "command": ["a"]]))
        }
    }

    @Test func networkEgressNamesHostsAndMakesTheJobANetworkOne() throws {
        let manifest = try ToolManifest.decode(
            Self.base.setting(["network"], to: ["egress": ["API.example.com", "*.example.org:8443"]]))
        #expect(manifest.egress.map(\.description) == ["api.example.com", "*.example.org:8443"])
        #expect(manifest.execution == .sandboxJob(command: ["python3", "main.py"], network: .egress))
        #expect(manifest.egress[1].allows(host: "cdn.example.org", port: 8443))
        // Without hosts there is no network, and `execution.network: egress` alone is refused.
        #expect(try ToolManifest.decode(Self.base).egress.isEmpty)
        let withoutHosts = Self.base.setting(
            ["execution"], to: ["binding": "sandbox_job", "command": ["sh", "run.sh"], "network": "egress"])
        Self.expectIssue(withoutHosts, at: "/execution/network", saying: "/network/egress")
    }

    @Test func malformedEgressIsRefusedNamingTheHost() {
        let cases: [(JSONValue, String, String)] = [
            (["egress": ["10.0.0.1"]], "/network/egress/0", "not an IP address"),
            (["egress": ["ok.example.com", "*.com"]], "/network/egress/1", "two labels"),
            (["egress": ["a.example.com", "A.example.com."]], "/network/egress/1", "once"),
            (["egress": ["a.example.com:99999"]], "/network/egress/0", "port"),
            (["egress": [7]], "/network/egress/0", "a host"),
            (["egress": []], "/network/egress", "1–64"),
            (["egress": .array(Array(repeating: "a.example.com", count: 65))], "/network/egress", "1–64"),
            (["egress": ["a.example.com"], "ingress": ["x"]], "/network/ingress", "unknown field"),
            ("everything", "/network", "an object"),
        ]
        for (network, pointer, words) in cases {
            Self.expectIssue(Self.base.setting(["network"], to: network), at: pointer, saying: words)
        }
        // Egress needs a scope the policy decides it by, and a binding that has a network.
        let noScope = Self.base.setting(["network"], to: ["egress": ["api.example.com"]]).setting(["scopes"], to: [])
        Self.expectIssue(noScope, at: "/scopes", saying: "read_web")
        let writer = noScope.setting(["scopes"], to: ["send_email"])
        #expect((try? ToolManifest.decode(writer))?.egress.count == 1)
        let builtin = Self.base.setting(["network"], to: ["egress": ["api.example.com"]]).setting(
            ["execution"], to: ["binding": "inproc_safe", "builtin": "text.count"])
        Self.expectIssue(builtin, at: "/network/egress", saying: "sandbox_job")
    }

    /// Decoding `document` fails with an issue at `pointer` whose message contains `words`.
    static func expectIssue(_ document: JSONValue, at pointer: String, saying words: String) {
        do {
            _ = try ToolManifest.decode(document)
            Issue.record("decoded; expected an issue at \(pointer)")
        } catch {
            let issue = error.issues.first { $0.pointer.description == pointer }
            #expect(issue != nil, "no issue at \(pointer): \(error.issues.map { "\($0.pointer) \($0.message)" })")
            #expect(issue?.message.contains(words) == true, "\(pointer): \(issue?.message ?? "")")
        }
    }

    @Test func semverOrderingFollowsTheSpecification() {
        let ordered = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0",
            "1.0.1", "1.1.0", "2.0.0", "10.0.0",
        ].map { SemanticVersion($0)! }
        for i in 0..<ordered.count {
            for j in 0..<ordered.count {
                #expect((ordered[i] < ordered[j]) == (i < j), "\(ordered[i]) vs \(ordered[j])")
            }
        }
        #expect(SemanticVersion("1.0.0+build.1") == SemanticVersion("1.0.0+build.2"))
        #expect(SemanticVersion("1.2.3-rc.1+b.5")?.description == "1.2.3-rc.1+b.5")
    }

    @Test(arguments: [
        "1.0", "1.0.0.0", "01.0.0", "1.00.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1.0.0+", "1.0.0-a..b", "1.0.0-a_b",
        " 1.0.0", "",
    ])
    func invalidVersionsAreRefused(_ text: String) {
        #expect(SemanticVersion(text) == nil)
        #expect(SemanticVersion.problem(in: text) != nil)
    }

    @Test func riskMapsOntoMCPAnnotations() throws {
        let readOnly = try ToolManifest.decode(Self.base)
        #expect(readOnly.mcpAnnotations["readOnlyHint"] == true)
        #expect(readOnly.mcpAnnotations["destructiveHint"] == false)
        #expect(readOnly.mcpAnnotations["idempotentHint"] == true)
        #expect(readOnly.mcpAnnotations["openWorldHint"] == true)  // read_web
        #expect(readOnly.mcpAnnotations["title"] == "Fetch")

        let writer = try ToolManifest.decode(
            Self.base.setting(
                ["risk"], to: ["level": "medium", "externalWrite": true, "readOnly": false, "idempotent": true]
            )
            .setting(["scopes"], to: ["write_github"]))
        #expect(writer.mcpAnnotations["readOnlyHint"] == false)
        #expect(writer.mcpAnnotations["destructiveHint"] == true)
        #expect(writer.mcpAnnotations["idempotentHint"] == true)
        #expect(writer.mcpAnnotations["openWorldHint"] == true)

        let local = try ToolManifest.decode(
            Self.base.setting(["risk"], to: ["level": "low", "externalWrite": false, "readOnly": false]).setting(
                ["scopes"], to: ["read_files"]))
        #expect(local.mcpAnnotations["openWorldHint"] == false)
        #expect(local.mcpAnnotations["destructiveHint"] == false)
        #expect(local.mcpAnnotations["idempotentHint"] == false)
    }

    @Test func theManifestPublishesAsAnMCPTool() throws {
        let m = try ToolManifest.decode(Self.base)
        let tool = m.mcpTool
        #expect(tool["name"] == "web.fetch_extract")
        #expect(tool["inputSchema"] == Self.base["input"])
        #expect(tool["outputSchema"] == Self.base["output"])
        #expect(tool["annotations"]?["readOnlyHint"] == true)
        #expect(tool["description"] == "Fetches a page.")
    }

    @Test func theFixtureManifestDecodes() throws {
        let path = PackageTestSupport.fixture + "/omega.json"
        let m = try ToolManifest.decode(text: try String(contentsOfFile: path, encoding: .utf8))
        #expect(m.id == "demo.echo" && m.examples.count == 2)
    }
}

extension JSONValue {
    /// A copy with the value at `tokens` replaced (nil removes it); missing objects are created.
    func setting(_ tokens: [String], to value: JSONValue?) -> JSONValue {
        guard let first = tokens.first else { return value ?? .null }
        switch self {
        case .array(var items):
            let index = Int(first)!
            items[index] = items[index].setting(Array(tokens.dropFirst()), to: value)
            return .array(items)
        case .object(var members):
            if tokens.count == 1 {
                members[first] = value
            } else {
                members[first] = (members[first] ?? [:]).setting(Array(tokens.dropFirst()), to: value)
            }
            return .object(members)
        default:
            return JSONValue.object([:]).setting(tokens, to: value)
        }
    }
}
