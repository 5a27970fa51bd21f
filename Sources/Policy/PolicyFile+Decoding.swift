import Egress
import JSON

extension PolicyFile {
    /// Largest policy document accepted, in bytes.
    public static let maximumBytes = 1 << 20

    /// Decodes a policy file from its text, strictly.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - path: Where it came from (named in errors and explanations).
    /// - Throws: `POLICY_INVALID` naming the line and column when the text is not JSON, or the JSON
    ///   path (`grants[2].effect`) and what was expected when the content is wrong.
    public init(parsing text: String, path: String) throws(PolicyError) {
        try self.init(bytes: Array(text.utf8), path: path)
    }

    /// Decodes a policy file from its UTF-8 bytes, strictly (invalid UTF-8 is an error).
    ///
    /// - Parameters:
    ///   - bytes: The document.
    ///   - path: Where it came from (named in errors and explanations).
    /// - Throws: `POLICY_INVALID`, as for ``init(parsing:path:)``.
    public init(bytes: [UInt8], path: String) throws(PolicyError) {
        var parser = JSONParser()
        parser.maximumBytes = PolicyFile.maximumBytes
        parser.maximumDepth = 16
        let value: JSONValue
        do {
            value = try parser.parse(bytes: bytes)
        } catch {
            throw PolicyError(
                code: .invalid, message: "not valid JSON: \(error.message)", path: path, line: error.line,
                column: error.column)
        }
        try self.init(json: value, path: path)
    }

    /// Decodes a policy file from a parsed document, strictly: unknown fields are errors.
    ///
    /// - Parameters:
    ///   - json: The document.
    ///   - path: Where it came from.
    /// - Throws: `POLICY_INVALID` naming the JSON path and what was expected.
    public init(json: JSONValue, path: String) throws(PolicyError) {
        let decoder = PolicyDecoder(path: path)
        let root = JSONPointer()
        let members = try decoder.object(json, at: root, what: "a policy object")
        try decoder.rejectUnknown(
            members, at: root,
            known: [
                "policyVersion", "description", "grants", "elevatedScopes", "safeMode", "allowUnsignedPackages",
                "approvalTTLSeconds", "pins",
            ])

        guard let version = members["policyVersion"] else {
            throw decoder.error(
                at: root, "missing field \"policyVersion\"; expected \"policyVersion\": \(PolicyFile.currentVersion)")
        }
        let versionPath = root.appending("policyVersion")
        guard
            try decoder.integer(version, at: versionPath, what: "the integer \(PolicyFile.currentVersion)")
                == PolicyFile.currentVersion
        else {
            throw decoder.error(
                at: versionPath,
                "expected \(PolicyFile.currentVersion) (the only supported version), found \(version.jsonText)")
        }

        var grants: [Grant] = []
        if let value = members["grants"] {
            let path = root.appending("grants")
            for (index, item) in try decoder.array(value, at: path, what: "an array of grant objects").enumerated() {
                grants.append(try decoder.grant(item, at: path.appending(index)))
            }
        }

        var elevated: [String] = []
        if let value = members["elevatedScopes"] {
            let path = root.appending("elevatedScopes")
            for (index, item) in try decoder.array(value, at: path, what: "an array of scope names").enumerated() {
                elevated.append(try decoder.scope(item, at: path.appending(index)))
            }
        }

        var pins: [PolicyPin] = []
        if let value = members["pins"] {
            let path = root.appending("pins")
            let what = "an array of tool ids, each \"id\" or \"id@version\""
            for (index, item) in try decoder.array(value, at: path, what: what).enumerated() {
                let text = try decoder.string(item, at: path.appending(index), what: "\"id\" or \"id@version\"")
                guard let pin = PolicyPin(parsing: text) else {
                    throw decoder.error(
                        at: path.appending(index),
                        "expected \"id\" or \"id@version\" (a tool id like web.fetch, a version like 1.2.0), found \"\(text)\""
                    )
                }
                pins.append(pin)
            }
        }

        var ttl: Int64?
        if let value = members["approvalTTLSeconds"] {
            let path = root.appending("approvalTTLSeconds")
            let what = "an integer number of seconds from 1 to \(PolicyFile.maximumApprovalTTLSeconds)"
            let seconds = try decoder.integer(value, at: path, what: what)
            guard seconds >= 1, seconds <= PolicyFile.maximumApprovalTTLSeconds else {
                throw decoder.error(at: path, "expected \(what), found \(seconds)")
            }
            ttl = seconds
        }

        self.init(
            path: path,
            description: try members["description"].map { v throws(PolicyError) in
                try decoder.string(v, at: root.appending("description"), what: "a string")
            },
            grants: grants,
            elevatedScopes: elevated,
            safeMode: try members["safeMode"].map { v throws(PolicyError) in
                try decoder.bool(v, at: root.appending("safeMode"))
            },
            allowUnsignedPackages: try members["allowUnsignedPackages"].map { v throws(PolicyError) in
                try decoder.bool(v, at: root.appending("allowUnsignedPackages"))
            },
            approvalTTLSeconds: ttl, pins: pins)
    }
}

/// The strict field-by-field reader behind ``PolicyFile/init(json:path:)``: every error names the
/// file, the JSON path and what was expected.
private struct PolicyDecoder {
    let path: String

    func error(at pointer: JSONPointer, _ message: String) -> PolicyError {
        PolicyError(code: .invalid, message: message, path: path, jsonPath: pointer)
    }

    func found(_ value: JSONValue) -> String {
        switch value {
        case .string, .bool, .null, .integer, .number:
            let text = value.jsonText
            return text.utf8.count <= 80 ? "\(value.typeName) \(text)" : value.typeName
        default:
            return value.typeName
        }
    }

    func object(_ value: JSONValue, at pointer: JSONPointer, what: String) throws(PolicyError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw error(at: pointer, "expected \(what), found \(found(value))")
        }
        return members
    }

    func array(_ value: JSONValue, at pointer: JSONPointer, what: String) throws(PolicyError) -> [JSONValue] {
        guard case .array(let items) = value else {
            throw error(at: pointer, "expected \(what), found \(found(value))")
        }
        return items
    }

    func string(_ value: JSONValue, at pointer: JSONPointer, what: String) throws(PolicyError) -> String {
        guard case .string(let s) = value else { throw error(at: pointer, "expected \(what), found \(found(value))") }
        return s
    }

    func bool(_ value: JSONValue, at pointer: JSONPointer) throws(PolicyError) -> Bool {
        guard case .bool(let b) = value else {
            throw error(at: pointer, "expected true or false, found \(found(value))")
        }
        return b
    }

    func integer(_ value: JSONValue, at pointer: JSONPointer, what: String) throws(PolicyError) -> Int64 {
        switch value {
        case .integer(let i): return i
        case .number(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: throw error(at: pointer, "expected \(what), found \(found(value))")
        }
    }

    func rejectUnknown(_ members: [String: JSONValue], at pointer: JSONPointer, known: [String]) throws(PolicyError) {
        // Sorted so the first unknown field reported does not depend on dictionary order.
        for key in members.keys.sorted() where !known.contains(key) {
            throw error(
                at: pointer.appending(key),
                "unknown field \"\(key)\"; expected one of \(known.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
    }

    func scope(_ value: JSONValue, at pointer: JSONPointer) throws(PolicyError) -> String {
        let what =
            "a scope name (a lowercase letter, then lowercase letters, digits or '_'; at most "
            + "\(PolicyFile.maximumScopeLength) bytes; no wildcards)"
        let name = try string(value, at: pointer, what: what)
        guard PolicyFile.isValidScopeName(name) else {
            throw error(at: pointer, "expected \(what), found \(found(value))")
        }
        return name
    }

    func grant(_ value: JSONValue, at pointer: JSONPointer) throws(PolicyError) -> PolicyFile.Grant {
        let members = try object(value, at: pointer, what: "a grant object with \"scope\" and \"effect\"")
        try rejectUnknown(members, at: pointer, known: ["scope", "effect", "tools", "reason", "hosts"])
        guard let scopeValue = members["scope"] else {
            throw error(at: pointer, "missing field \"scope\"; expected a scope name such as \"read_web\"")
        }
        let scope = try scope(scopeValue, at: pointer.appending("scope"))
        guard let effectValue = members["effect"] else {
            throw error(at: pointer, "missing field \"effect\"; expected \"allow\" or \"deny\"")
        }
        let effectPath = pointer.appending("effect")
        let effectText = try string(effectValue, at: effectPath, what: "\"allow\" or \"deny\"")
        guard let effect = PolicyEffect(rawValue: effectText) else {
            throw error(at: effectPath, "expected \"allow\" or \"deny\", found \(found(effectValue))")
        }
        var tools: [PolicyToolGlob]?
        if let toolsValue = members["tools"] {
            let path = pointer.appending("tools")
            let what = "a non-empty array of tool globs (leave \"tools\" out to cover every tool)"
            let items = try array(toolsValue, at: path, what: what)
            guard !items.isEmpty else { throw error(at: path, "expected \(what), found an empty array") }
            var globs: [PolicyToolGlob] = []
            for (index, item) in items.enumerated() {
                let itemPath = path.appending(index)
                let text = try string(item, at: itemPath, what: "a tool glob string such as \"web.*\"")
                switch PolicyToolGlob.parse(text) {
                case .success(let glob): globs.append(glob)
                case .failure(let failure): throw error(at: itemPath, failure.message)
                }
            }
            tools = globs
        }
        let reason = try members["reason"].map { v throws(PolicyError) in
            try string(v, at: pointer.appending("reason"), what: "a string")
        }
        var hosts: [EgressRule]?
        if let hostsValue = members["hosts"] {
            let path = pointer.appending("hosts")
            let what =
                "a non-empty array of at most 64 hosts such as \"docs.example.org\", \"*.example.org:8443\" or \"*\""
            guard effect == .allow else {
                throw error(at: path, "expected no hosts on a deny grant: hosts only open egress (leave them out)")
            }
            let items = try array(hostsValue, at: path, what: what)
            guard (1...64).contains(items.count) else {
                throw error(at: path, "expected \(what), found \(items.count) items")
            }
            var rules: [EgressRule] = []
            for (index, item) in items.enumerated() {
                let itemPath = path.appending(index)
                let text = try string(item, at: itemPath, what: "a host string such as \"docs.example.org\"")
                do {
                    rules.append(try EgressRule(parsing: text))
                } catch {
                    throw self.error(at: itemPath, "\(error.message), found \(found(item))")
                }
            }
            hosts = rules
        }
        return PolicyFile.Grant(scope: scope, effect: effect, tools: tools, reason: reason, hosts: hosts)
    }
}
