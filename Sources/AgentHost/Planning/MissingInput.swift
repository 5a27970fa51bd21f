import JSON

/// A property a tool's input schema requires that could not be filled from the request: the host
/// asks the user for it.
public struct MissingInput: Sendable, Hashable {
    /// The property's name in the input object.
    public var name: String
    /// What the schema says it is (empty when the schema has no description).
    public var description: String
    /// Its JSON type as the schema spells it (`string`, `integer`, `string|null`), or `any` when the
    /// schema names none.
    public var type: String
    /// The values it may take, when the schema lists them (`enum`).
    public var allowed: [JSONValue]?
    /// Why a value taken from the request was refused by the schema (`expected at least 2, got 1`);
    /// nil when the request held nothing for it.
    public var problem: String?

    /// A missing input.
    public init(
        name: String, description: String, type: String, allowed: [JSONValue]? = nil, problem: String? = nil
    ) {
        self.name = name
        self.description = description
        self.type = type
        self.allowed = allowed
        self.problem = problem
    }

    /// `{"name", "description", "type"}`, with `enum` and `problem` when present.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "description": .string(description), "type": .string(type),
        ]
        if let allowed { members["enum"] = .array(allowed) }
        if let problem { members["problem"] = .string(problem) }
        return .object(members)
    }
}
