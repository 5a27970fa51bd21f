import JSON
import Registry
import Service
import ToolPackage
import ToolRuntime

/// The tools the host offers a user, sorted by name: `registry_search`, `registry_execute`, `plan`,
/// and every tool pinned for the user (policy files and the user's own pins) under its own id, with
/// its input and output schemas and annotations mapped from its risk (DESIGN §3, §9).
struct ToolCatalog: Sendable {
    /// What a tool name runs.
    enum Kind: Sendable {
        case search
        case execute
        case plan
        /// A pinned tool: the reference to run (`id` or `id@version`) and its registry entry.
        case pinned(reference: String, entry: RegistryEntry)
    }

    /// One offered tool.
    struct Tool: Sendable {
        var name: String
        var kind: Kind
        var definition: JSONValue
    }

    /// The tools, sorted by name.
    let tools: [Tool]

    /// The catalog for `user`.
    ///
    /// - Throws: `POLICY_DENIED` when the policy files cannot be read, `INTERNAL_ERROR` when the registry fails.
    init(registry: RegistryService, user: String) throws(OmegaError) {
        var tools = Self.builtIns
        var seen = Set(tools.map(\.name))
        for pin in try registry.pins(user: user) where seen.insert(pin.id).inserted {
            let found: RegistryEntry?
            do {
                found = try registry.store.entry(id: pin.id, version: pin.version)
            } catch {
                throw OmegaError(.internalError, "cannot read the registry: \(error)")
            }
            guard let entry = found else { continue }
            let reference = pin.version.map { "\(pin.id)@\($0)" } ?? pin.id
            tools.append(
                Tool(
                    name: pin.id, kind: .pinned(reference: reference, entry: entry),
                    definition: Self.definition(of: entry)))
        }
        self.tools = tools.sorted { $0.name < $1.name }
    }

    /// The tool named `name`, if offered.
    func tool(named name: String) -> Tool? { tools.first { $0.name == name } }

    // MARK: Definitions

    /// A pinned tool's definition: its schemas as published (an input schema that is not an object
    /// schema is offered as `{"type": "object"}`; an output schema only when it describes an object,
    /// as MCP requires) and annotations from its risk.
    static func definition(of entry: RegistryEntry) -> JSONValue {
        var definition: [String: JSONValue] = [
            "name": .string(entry.id),
            "title": .string(entry.title ?? entry.id),
            "description": .string(entry.description),
            "inputSchema": objectSchema(entry.input) ?? ["type": "object"],
            "annotations": annotations(of: entry.risk, title: entry.title),
            "_meta": ["dev.omega-exec/version": .string(entry.version.description)],
        ]
        if let output = objectSchema(entry.output) { definition["outputSchema"] = output }
        return .object(definition)
    }

    /// `schema` when it is an object with `"type": "object"`.
    static func objectSchema(_ schema: JSONValue?) -> JSONValue? {
        guard let schema, schema["type"] == "object" else { return nil }
        return schema
    }

    /// DESIGN §3: read-only tools are `readOnlyHint`; a tool that writes outside the jail or is high
    /// risk is `destructiveHint`; one that reaches the world (writes outside, or is not read-only at
    /// medium risk and above) is `openWorldHint`. A tool that declares no risk is treated as high.
    static func annotations(of risk: ToolManifest.Risk?, title: String?) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let title { members["title"] = .string(title) }
        guard let risk else {
            members["readOnlyHint"] = false
            members["destructiveHint"] = true
            members["openWorldHint"] = true
            return .object(members)
        }
        members["readOnlyHint"] = .bool(risk.readOnly)
        members["destructiveHint"] = .bool(!risk.readOnly && (risk.externalWrite || risk.level == .high))
        members["idempotentHint"] = .bool(risk.idempotent ?? risk.readOnly)
        members["openWorldHint"] = .bool(risk.externalWrite)
        return .object(members)
    }

    static let builtIns: [Tool] = [
        Tool(
            name: "registry_search", kind: .search,
            definition: [
                "name": "registry_search", "title": "Search the tool registry",
                "description":
                    "Finds tools for a task among every tool the appliance knows (installed and indexed). Each result says whether it is installed, verified, runnable now, which credentials it needs and which are missing, its risk and scopes, and its recent health.",
                "inputSchema": [
                    "type": "object",
                    "properties": [
                        "query": [
                            "type": "string", "minLength": 1, "maxLength": 1024,
                            "description": "What the tool should do, in words (e.g. 'count words in text').",
                        ],
                        "limit": ["type": "integer", "minimum": 1, "maximum": 50, "default": 10],
                        "binding": [
                            "type": "string", "enum": ["sandbox_job", "inproc_safe", "mcp_remote", "openapi_proxy"],
                        ],
                        "risk": ["type": "string", "enum": ["low", "medium", "high"]],
                        "scope": ["type": "string", "description": "Only tools that need this scope."],
                        "installed": ["type": "boolean", "description": "Only installed tools."],
                        "verified": ["type": "boolean", "description": "Only tools signed by a trusted key."],
                        "runnable": [
                            "type": "boolean",
                            "description":
                                "Only tools that can run now (installed, sandboxed, healthy, no credential missing).",
                        ],
                    ],
                    "required": ["query"],
                    "additionalProperties": false,
                ],
                "outputSchema": [
                    "type": "object",
                    "properties": ["results": ["type": "array", "items": ["type": "object"]]],
                    "required": ["results"],
                ],
                "annotations": [
                    "title": "Search the tool registry", "readOnlyHint": true, "destructiveHint": false,
                    "idempotentHint": true, "openWorldHint": false,
                ],
            ]),
        Tool(
            name: "registry_execute", kind: .execute,
            definition: [
                "name": "registry_execute", "title": "Run a tool",
                "description":
                    "Runs a tool from the registry by id (optionally id@version) in the sandbox with the given input. Credentials the tool needs come from the vault; when one is missing you are asked through a page the user opens (never through the model), or you may pass them in env. Calls that need approval ask the user first. The result carries the run id and the sandbox's verdict; on failure it lists alternative tools with the keys each needs.",
                "inputSchema": [
                    "type": "object",
                    "properties": [
                        "toolId": [
                            "type": "string", "minLength": 1, "maxLength": 256,
                            "description": "The tool's id, as registry_search returns it (id or id@version).",
                        ],
                        "input": ["type": "object", "description": "The tool's input, matching its input schema."],
                        "env": [
                            "type": "object", "additionalProperties": ["type": "string"],
                            "description": "Values for the tool's declared environment variables (never stored).",
                        ],
                    ],
                    "required": ["toolId"],
                    "additionalProperties": false,
                ],
                "outputSchema": [
                    "type": "object",
                    "properties": [
                        "success": ["type": "boolean"], "runId": ["type": "string"], "output": [:],
                        "artifacts": ["type": "array"], "verdict": ["type": "object"],
                    ],
                    "required": ["success", "runId"],
                ],
                "annotations": [
                    "title": "Run a tool", "readOnlyHint": false, "destructiveHint": true, "idempotentHint": false,
                    "openWorldHint": true,
                ],
            ]),
        Tool(
            name: "plan", kind: .plan,
            definition: [
                "name": "plan", "title": "Plan a task",
                "description":
                    "Proposes one or more plans for a request: which tools to run in which order, the purpose and expected output of each step, the input it could fill from the request and what is still missing, with a confidence from the search scores and the reasoning. Runs nothing.",
                "inputSchema": [
                    "type": "object",
                    "properties": [
                        "request": [
                            "type": "string", "minLength": 1, "maxLength": 4096,
                            "description": "What the user wants done, in their words.",
                        ]
                    ],
                    "required": ["request"],
                    "additionalProperties": false,
                ],
                "outputSchema": [
                    "type": "object",
                    "properties": ["plans": ["type": "array", "items": ["type": "object"]]],
                    "required": ["plans"],
                ],
                "annotations": [
                    "title": "Plan a task", "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true,
                    "openWorldHint": false,
                ],
            ]),
    ]
}
