import Foundation
import Testing
import TestSupport

/// `omega-exec validate` end to end: the built binary, real files, the three exit codes.
@Suite struct ValidateCommandTests {
    /// The built `omega-exec` (TestSupport's locator).
    static let binary: String? = OmegaCLI.binary

    private struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private func run(_ arguments: [String]) throws -> Run {
        let binary = try #require(Self.binary, "omega-exec binary not found")
        let result = try HostProcess.run([binary, "validate"] + arguments, timeout: 60)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    private func write(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return directory
    }

    @Test(.enabled(if: ValidateCommandTests.binary != nil, "omega-exec is not built"))
    func exitCodesAreZeroOneAndTwo() throws {
        let dir = try write([
            "schema.json": #"{"type": "object", "required": ["command"], "properties": {"command": {"type": "array"}}}"#,
            "good.json": #"{"command": ["ls"]}"#,
            "bad.json": #"{"command": "ls"}"#,
            "broken.json": #"{"command": "#,
            "badschema.json": #"{"type": 5}"#,
            "draft7.json": #"{"items": [{"type": "string"}], "additionalItems": false}"#,
            "pair.json": #"["a", "b"]"#,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        let valid = try run([path("schema.json"), path("good.json")])
        #expect(valid.status == 0)
        #expect(valid.stderr.isEmpty)

        let invalid = try run([path("schema.json"), path("bad.json")])
        #expect(invalid.status == 1)
        #expect(invalid.stderr == "/command: expected an array, got a string (schema /properties/command/type)\n")

        let json = try run([path("schema.json"), path("bad.json"), "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains(#""valid":false"#))

        let unparsable = try run([path("schema.json"), path("broken.json")])
        #expect(unparsable.status == 2)
        #expect(unparsable.stderr.contains("broken.json"))

        let missing = try run([path("schema.json"), path("nope.json")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.json"))

        let badSchema = try run([path("badschema.json"), path("good.json")])
        #expect(badSchema.status == 2)
        #expect(badSchema.stderr.contains("badschema.json"))

        // Without $schema or --dialect the schema is 2020-12, where an `items` array is malformed.
        #expect(try run([path("draft7.json"), path("pair.json")]).status == 2)
        #expect(try run([path("draft7.json"), path("pair.json"), "--dialect", "7"]).status == 1)
    }
}
