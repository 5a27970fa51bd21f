import Egress
import JSON
extension ToolManifest {
    /// Parses and decodes manifest text.
    ///
    /// - Parameters:
    ///   - text: the contents of `omega.json`.
    ///   - file: the file name used in the error (optional).
    /// - Throws: ``ManifestError`` (`INVALID_MANIFEST`) listing a JSON syntax error with its line and
    ///   column, or every structural problem found.
    public static func decode(text: String, file: String? = nil) throws(ManifestError) -> ToolManifest {
        let document: JSONValue
        do {
            document = try JSONParser().parse(text)
        } catch {
            throw ManifestError(
                issues: [ManifestIssue(pointer: JSONPointer(), message: "not valid JSON: \(error)")], file: file)
        }
        do {
            return try decode(document)
        } catch {
            throw ManifestError(issues: error.issues, file: file)
        }
    }

    /// Decodes a parsed `omega.json` strictly.
    ///
    /// - Parameter document: the parsed manifest.
    /// - Returns: the manifest, defaults filled in.
    /// - Throws: ``ManifestError`` listing every problem (each names its JSON path and what was
    ///   expected there), not only the first.
    public static func decode(_ document: JSONValue) throws(ManifestError) -> ToolManifest {
        var reader = ManifestReader()
        let manifest = reader.manifest(document)
        if let manifest, reader.issues.isEmpty { return manifest }
        throw ManifestError(issues: reader.issues)
    }

    /// Whether `id` is a valid tool id: dotted lowercase names (`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`),
    /// at most 128 characters.
    public static func isValidID(_ id: String) -> Bool {
        guard id.utf8.count <= 128 else { return false }
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { isLowerName($0) }
    }

    /// Whether `name` is a valid scope (`^[a-z][a-z0-9_]*$`, at most 64 characters).
    public static func isValidScope(_ name: String) -> Bool { name.utf8.count <= 64 && isLowerName(Substring(name)) }

    /// Whether `name` is a valid environment variable name (`^[A-Z_][A-Z0-9_]*$`, at most 128 characters).
    public static func isValidEnvName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        let upper: (UInt8) -> Bool = { ($0 >= 65 && $0 <= 90) || $0 == 95 }
        return upper(first) && bytes.allSatisfy { upper($0) || ($0 >= 48 && $0 <= 57) }
    }

    static func isLowerName(_ name: Substring) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, first >= 97, first <= 122 else { return false }
        return bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}

/// Walks a manifest document, collecting every problem with its path.
struct ManifestReader {
    var issues: [ManifestIssue] = []

    mutating func fail(_ pointer: JSONPointer, _ message: String) {
        issues.append(ManifestIssue(pointer: pointer, message: message))
    }

    /// What was found, for "got …" in messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s.count > 40 ? "a string" : "\"\(s)\""
        case .integer(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .number(let d): return String(d)
        default: return value.typeName
        }
    }

    mutating func expected(_ pointer: JSONPointer, _ what: String, got value: JSONValue?) {
        if let value {
            fail(pointer, "expected \(what), got \(Self.describe(value))")
        } else {
            fail(pointer, "expected \(what) (the field is missing)")
        }
    }

    /// The members of an object, reporting unknown (non `x-`) keys.
    mutating func object(_ value: JSONValue?, at pointer: JSONPointer, what: String, known: [String]) -> [String:
        JSONValue]?
    {
        guard let value else { expected(pointer, what, got: nil); return nil }
        guard case .object(let members) = value else { expected(pointer, what, got: value); return nil }
        for key in members.keys.sorted() where !known.contains(key) && !key.hasPrefix("x-") {
            fail(
                pointer.appending(key),
                "unknown field (expected one of \(known.joined(separator: ", ")), or an x- extension)")
        }
        return members
    }

    mutating func string(
        _ members: [String: JSONValue], _ key: String, at base: JSONPointer, what: String, required: Bool = true,
        check: (String) -> Bool = { !$0.isEmpty }
    ) -> String? {
        let pointer = base.appending(key)
        guard let value = members[key] else {
            if required { expected(pointer, what, got: nil) }
            return nil
        }
        guard case .string(let s) = value, check(s) else { expected(pointer, what, got: value); return nil }
        return s
    }

    mutating func bool(_ members: [String: JSONValue], _ key: String, at base: JSONPointer, required: Bool) -> Bool? {
        let pointer = base.appending(key)
        guard let value = members[key] else {
            if required { expected(pointer, "true or false", got: nil) }
            return nil
        }
        guard case .bool(let b) = value else { expected(pointer, "true or false", got: value); return nil }
        return b
    }

    mutating func integer(_ members: [String: JSONValue], _ key: String, at base: JSONPointer, range: ClosedRange<Int>)
        -> Int?
    {
        let pointer = base.appending(key)
        guard let value = members[key] else { return nil }
        let what = "an integer in \(range.lowerBound)...\(range.upperBound)"
        let number: Int64?
        switch value {
        case .integer(let i): number = i
        case .number(let d) where d.rounded() == d && abs(d) < 9e18: number = Int64(d)
        default: number = nil
        }
        guard let number, number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            expected(pointer, what, got: value)
            return nil
        }
        return Int(number)
    }

    /// An array of unique strings each passing `check`.
    mutating func stringList(
        _ members: [String: JSONValue], _ key: String, at base: JSONPointer, what: String, itemWhat: String,
        nonEmpty: Bool = false, check: (String) -> Bool
    ) -> [String]? {
        let pointer = base.appending(key)
        guard let value = members[key] else {
            if nonEmpty { expected(pointer, what, got: nil) }
            return nil
        }
        guard case .array(let items) = value, !(nonEmpty && items.isEmpty),
            items.allSatisfy({ $0.stringValue != nil })
        else {
            expected(pointer, what, got: value)
            return nil
        }
        var result: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let s = item.stringValue!
            if !check(s) {
                expected(pointer.appending(i), itemWhat, got: item)
                ok = false
            } else if result.contains(s) {
                fail(pointer.appending(i), "duplicate \(Self.describe(item)) (expected unique values)")
                ok = false
            }
            result.append(s)
        }
        return ok ? result : nil
    }

    // MARK: - The document

    static let topLevelFields = [
        "$schema", "schemaVersion", "id", "version", "title", "description", "keywords", "input", "output", "env",
        "scopes",
        "risk", "execution", "limits", "examples", "network",
    ]

    /// Most hosts one manifest may name in `network.egress`.
    static let maximumEgressHosts = 64

    mutating func manifest(_ document: JSONValue) -> ToolManifest? {
        let root = JSONPointer()
        guard let top = object(document, at: root, what: "a JSON object (the manifest)", known: Self.topLevelFields)
        else {
            return nil
        }
        if let schema = top["$schema"], schema.stringValue == nil {
            expected(root.appending("$schema"), "a string", got: schema)
        }

        var schemaVersion: Int64?
        switch top["schemaVersion"] {
        case .integer(let v) where v == ToolManifest.supportedSchemaVersion: schemaVersion = v
        case let other: expected(root.appending("schemaVersion"), "\(ToolManifest.supportedSchemaVersion)", got: other)
        }

        let id = string(
            top, "id", at: root, what: "a dotted lowercase name such as web.fetch_extract (at most 128 characters)",
            check: ToolManifest.isValidID)

        var version: SemanticVersion?
        switch top["version"] {
        case .string(let text):
            if let v = SemanticVersion(text) {
                version = v
            } else {
                expected(
                    root.appending("version"),
                    "a semantic version such as 1.2.0 (\(SemanticVersion.problem(in: text) ?? "invalid"))",
                    got: .string(text))
            }
        case let other: expected(root.appending("version"), "a semantic version string such as 1.2.0", got: other)
        }

        let title = string(
            top, "title", at: root, what: "a non-empty string of at most 128 characters", required: false
        ) {
            !$0.isEmpty && $0.count <= 128
        }
        let description = string(top, "description", at: root, what: "a non-empty string of at most 4096 characters") {
            !$0.isEmpty && $0.count <= 4096
        }
        let keywords =
            stringList(
                top, "keywords", at: root, what: "an array of strings",
                itemWhat: "a non-empty string of at most 64 characters"
            ) { !$0.isEmpty && $0.count <= 64 } ?? []

        let input = schemaObject(top["input"], at: root.appending("input"), required: true)
        let output = schemaObject(top["output"], at: root.appending("output"), required: false)

        let env = environment(top["env"], at: root.appending("env"))
        let scopes =
            stringList(
                top, "scopes", at: root, what: "an array of scope names",
                itemWhat: "a scope name matching ^[a-z][a-z0-9_]*$",
                check: ToolManifest.isValidScope) ?? []
        let risk = risk(top["risk"], at: root.appending("risk"))
        var execution = execution(top["execution"], at: root.appending("execution"))
        let egress = egress(top["network"], at: root.appending("network"))
        if let rules = egress, case .sandboxJob(let command, let network)? = execution {
            if rules.isEmpty, network == .egress {
                fail(
                    root.appending("execution").appending("network"),
                    "expected the hosts the tool may reach in /network/egress for network egress")
            } else if !rules.isEmpty {
                // The hosts are the grant; the execution's network follows from them.
                execution = .sandboxJob(command: command, network: .egress)
                if !scopes.contains(where: { $0 == "read_web" || $0.hasPrefix("write_") || $0.hasPrefix("send_") }) {
                    fail(
                        root.appending("scopes"),
                        "expected read_web, or a write scope (write_*, send_*), for a tool with network egress: the policy decides on its hosts through them"
                    )
                }
            }
        } else if let rules = egress, !rules.isEmpty, execution != nil {
            fail(root.appending("network").appending("egress"), "expected no hosts: only a sandbox_job has network egress")
        }
        let limits = limits(top["limits"], at: root.appending("limits"))
        let examples = examples(top["examples"], at: root.appending("examples"))

        guard let schemaVersion, let id, let version, let description, let inputSchema = input, let input = inputSchema,
            let risk, let execution, let limits,
            let env, let examples, let egress
        else { return nil }
        return ToolManifest(
            schemaVersion: schemaVersion, id: id, version: version, title: title ?? id, description: description,
            keywords: keywords, input: input, output: output ?? nil, env: env, scopes: scopes, risk: risk,
            execution: execution, egress: egress, limits: limits, examples: examples,
            extensions: top.filter { $0.key.hasPrefix("x-") }, document: document)
    }

    /// `network`: absent, or `{"egress": [rule, …]}` with 1…64 distinct rules (``EgressRule``); nil
    /// after a problem, `[]` when absent.
    mutating func egress(_ value: JSONValue?, at pointer: JSONPointer) -> [EgressRule]? {
        guard let value else { return [] }
        guard let members = object(value, at: pointer, what: "an object such as {\"egress\": [\"api.example.com\"]}", known: ["egress"])
        else { return nil }
        let listPointer = pointer.appending("egress")
        guard case .array(let items)? = members["egress"], (1...Self.maximumEgressHosts).contains(items.count) else {
            expected(
                listPointer, "an array of 1–\(Self.maximumEgressHosts) hosts such as \"api.example.com\" or \"*.example.org:8443\"",
                got: members["egress"])
            return nil
        }
        var rules: [EgressRule] = []
        var seen = Set<String>()
        var ok = true
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                expected(listPointer.appending(index), "a host such as \"api.example.com\"", got: item)
                ok = false
                continue
            }
            do {
                let rule = try EgressRule(parsing: text)
                if !seen.insert(rule.description).inserted {
                    fail(listPointer.appending(index), "expected each host once, got \(rule) again")
                    ok = false
                }
                rules.append(rule)
            } catch {
                expected(listPointer.appending(index), error.expected, got: item)
                ok = false
            }
        }
        return ok ? rules : nil
    }

    /// `nil` = problem; `.some(nil)` = absent and optional.
    mutating func schemaObject(_ value: JSONValue?, at pointer: JSONPointer, required: Bool) -> JSONValue?? {
        guard let value else {
            if required { expected(pointer, "a JSON Schema object", got: nil); return nil }
            return .some(nil)
        }
        guard case .object = value else { expected(pointer, "a JSON Schema object", got: value); return nil }
        return .some(value)
    }

    mutating func environment(_ value: JSONValue?, at pointer: JSONPointer) -> [ToolManifest.EnvironmentVariable]? {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            expected(pointer, "an array of {name, description, required, secret} objects", got: value); return nil
        }
        var result: [ToolManifest.EnvironmentVariable] = []
        var ok = true
        var seen: Set<String> = []
        for (i, item) in items.enumerated() {
            let p = pointer.appending(i)
            guard
                let m = object(
                    item, at: p, what: "an object {name, description, required, secret}",
                    known: ["name", "description", "required", "secret"])
            else {
                ok = false
                continue
            }
            let before = issues.count
            let name = string(
                m, "name", at: p, what: "an environment variable name matching ^[A-Z_][A-Z0-9_]*$",
                check: ToolManifest.isValidEnvName)
            let description = string(m, "description", at: p, what: "a string", required: false) { _ in true } ?? ""
            let required = bool(m, "required", at: p, required: false) ?? false
            let secret = bool(m, "secret", at: p, required: false) ?? false
            if let name {
                if !seen.insert(name).inserted {
                    fail(p.appending("name"), "duplicate environment variable \"\(name)\" (expected unique names)")
                }
            }
            if let name, issues.count == before {
                result.append(.init(name: name, description: description, required: required, secret: secret))
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }

    mutating func risk(_ value: JSONValue?, at pointer: JSONPointer) -> ToolManifest.Risk? {
        guard
            let m = object(
                value, at: pointer, what: "an object {level, externalWrite, readOnly}",
                known: ["level", "externalWrite", "readOnly", "idempotent"])
        else {
            return nil
        }
        let levelText = string(m, "level", at: pointer, what: "one of low, medium, high") {
            ToolManifest.Risk.Level(rawValue: $0) != nil
        }
        let externalWrite = bool(m, "externalWrite", at: pointer, required: true)
        let readOnly = bool(m, "readOnly", at: pointer, required: true)
        let idempotent = bool(m, "idempotent", at: pointer, required: false)
        if readOnly == true, externalWrite == true {
            fail(
                pointer.appending("readOnly"),
                "expected false when externalWrite is true (a tool that writes externally is not read-only)")
            return nil
        }
        guard let levelText, let level = ToolManifest.Risk.Level(rawValue: levelText), let externalWrite, let readOnly
        else { return nil }
        return .init(level: level, externalWrite: externalWrite, readOnly: readOnly, idempotent: idempotent)
    }

    static let bindings = ["sandbox_job", "inproc_safe", "mcp_remote", "openapi_proxy"]

    mutating func execution(_ value: JSONValue?, at pointer: JSONPointer) -> ToolManifest.Execution? {
        guard case .object(let raw) = value else {
            expected(pointer, "an object {binding, …}", got: value)
            return nil
        }
        let binding = string(raw, "binding", at: pointer, what: "one of \(Self.bindings.joined(separator: ", "))") {
            Self.bindings.contains($0)
        }
        switch binding {
        case "sandbox_job":
            guard let m = object(value, at: pointer, what: "an object", known: ["binding", "command", "network"]) else {
                return nil
            }
            let commandPointer = pointer.appending("command")
            var command: [String]?
            if case .array(let items) = m["command"], !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) {
                command = items.map { $0.stringValue! }
                for (i, arg) in command!.enumerated() where arg.isEmpty || arg.utf8.contains(0) || arg.utf8.count > 4096
                {
                    expected(
                        commandPointer.appending(i), "a non-empty string without NUL bytes (at most 4096 bytes)",
                        got: .string(arg))
                    command = nil
                }
            } else {
                expected(commandPointer, "a non-empty array of strings", got: m["command"])
            }
            let network = string(m, "network", at: pointer, what: "one of none, egress", required: false) {
                ToolManifest.Execution.Network(rawValue: $0) != nil
            }
            guard let command else { return nil }
            return .sandboxJob(
                command: command, network: network.flatMap(ToolManifest.Execution.Network.init(rawValue:)) ?? .none)
        case "inproc_safe":
            guard let m = object(value, at: pointer, what: "an object", known: ["binding", "builtin"]) else {
                return nil
            }
            guard
                let builtin = string(
                    m, "builtin", at: pointer, what: "the dotted name of a built-in tool", check: ToolManifest.isValidID
                )
            else { return nil }
            return .inprocSafe(builtin: builtin)
        case "mcp_remote":
            guard let m = object(value, at: pointer, what: "an object", known: ["binding", "server", "tool"]) else {
                return nil
            }
            let server = string(
                m, "server", at: pointer, what: "a registered MCP server name matching ^[a-z][a-z0-9_]*$",
                check: ToolManifest.isValidScope)
            let tool = string(m, "tool", at: pointer, what: "a non-empty tool name of at most 128 characters") {
                !$0.isEmpty && $0.utf8.count <= 128
            }
            guard let server, let tool else { return nil }
            return .mcpRemote(server: server, tool: tool)
        case "openapi_proxy":
            guard
                let m = object(
                    value, at: pointer, what: "an object", known: ["binding", "method", "url", "operationId"])
            else { return nil }
            let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
            let method = string(m, "method", at: pointer, what: "one of \(methods.joined(separator: ", "))") {
                methods.contains($0)
            }
            let url = string(m, "url", at: pointer, what: "an absolute http:// or https:// URL") {
                ($0.hasPrefix("https://") || $0.hasPrefix("http://")) && $0.utf8.count <= 2048 && !$0.contains(" ")
            }
            let operationId = string(m, "operationId", at: pointer, what: "a non-empty string", required: false)
            guard let method, let url else { return nil }
            return .openAPIProxy(method: method, url: url, operationId: operationId)
        default:
            return nil
        }
    }

    mutating func limits(_ value: JSONValue?, at pointer: JSONPointer) -> ToolManifest.Limits? {
        guard let value else { return .defaults }
        let names = ToolManifest.Limits.ranges.map(\.name)
        guard let m = object(value, at: pointer, what: "an object {\(names.joined(separator: ", "))}", known: names)
        else { return nil }
        let before = issues.count
        var values: [String: Int] = [:]
        for (name, range) in ToolManifest.Limits.ranges {
            values[name] = integer(m, name, at: pointer, range: range)
        }
        guard issues.count == before else { return nil }
        let d = ToolManifest.Limits.defaults
        return .init(
            timeoutSeconds: values["timeoutSeconds"] ?? d.timeoutSeconds, memoryMB: values["memoryMB"] ?? d.memoryMB,
            pids: values["pids"] ?? d.pids, outputBytes: values["outputBytes"] ?? d.outputBytes)
    }

    mutating func examples(_ value: JSONValue?, at pointer: JSONPointer) -> [ToolManifest.Example]? {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            expected(pointer, "an array of {name, input, output?, outputMatch?} objects", got: value); return nil
        }
        var result: [ToolManifest.Example] = []
        var names: Set<String> = []
        let before = issues.count
        for (i, item) in items.enumerated() {
            let p = pointer.appending(i)
            guard
                let m = object(
                    item, at: p, what: "an object {name, input, output?, outputMatch?}",
                    known: ["name", "input", "output", "outputMatch"])
            else {
                continue
            }
            let name = string(m, "name", at: p, what: "a non-empty string of at most 128 characters") {
                !$0.isEmpty && $0.count <= 128
            }
            if let name, !names.insert(name).inserted {
                fail(p.appending("name"), "duplicate example name \"\(name)\" (expected unique names)")
            }
            if m["input"] == nil { expected(p.appending("input"), "the example's input document", got: nil) }
            let match = string(m, "outputMatch", at: p, what: "one of exact, schema", required: false) {
                ToolManifest.Example.OutputMatch(rawValue: $0) != nil
            }.flatMap(ToolManifest.Example.OutputMatch.init(rawValue:))
            if match == .exact, m["output"] == nil {
                expected(p.appending("output"), "an output document (outputMatch is exact)", got: nil)
            }
            if let name, let input = m["input"] {
                result.append(.init(name: name, input: input, output: m["output"], outputMatch: match))
            }
        }
        return issues.count == before ? result : nil
    }
}
