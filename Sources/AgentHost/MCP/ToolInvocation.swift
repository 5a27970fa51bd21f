import JSON
import Registry

/// A tool call as the host runs it: which tool (a registry reference), with which input and `env`,
/// and whether it was called under its own name (a pinned tool, whose structured result is its
/// output) or through `registry_execute` (whose structured result is the run's whole result).
struct ToolInvocation: Sendable {
    /// `id`, `id@version`, as `registry_execute` or the pin names it.
    var reference: String
    /// The tool's input.
    var input: JSONValue
    /// Values for declared variables, from the call (never stored).
    var env: [String: String]
    /// The pinned tool's entry, when called under its own name.
    var pinned: RegistryEntry?

    /// Reads `registry_execute`'s arguments; the error names the field.
    static func execute(arguments: JSONValue) -> Result<ToolInvocation, ToolArgumentError> {
        guard case .object(let members) = arguments else {
            return .failure(.init(field: "arguments", "must be an object"))
        }
        if let unknown = members.keys.sorted().first(where: { !["toolId", "input", "env"].contains($0) }) {
            return .failure(.init(field: unknown, "is not an argument of registry_execute (toolId, input, env)"))
        }
        guard let toolID = members["toolId"]?.stringValue, !toolID.isEmpty, toolID.utf8.count <= 256 else {
            return .failure(.init(field: "toolId", "must be a tool id (a non-empty string of at most 256 bytes)"))
        }
        let input = members["input"] ?? [:]
        guard input.objectValue != nil else { return .failure(.init(field: "input", "must be an object")) }
        var env: [String: String] = [:]
        if let given = members["env"], given != .null {
            guard case .object(let values) = given else {
                return .failure(.init(field: "env", "must be an object of strings"))
            }
            for (name, value) in values {
                guard case .string(let text) = value else {
                    return .failure(.init(field: "env/\(name)", "must be a string"))
                }
                env[name] = text
            }
        }
        return .success(ToolInvocation(reference: toolID, input: input, env: env, pinned: nil))
    }
}

/// A `registry_execute` argument that is malformed: the field and what was expected.
struct ToolArgumentError: Error, Sendable {
    var field: String
    var message: String

    init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
