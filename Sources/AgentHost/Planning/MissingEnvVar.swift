import JSON

/// An environment variable a tool requires that the vault holds no value for (for this user and
/// tool): the host asks for it through the credential page, never through the model.
public struct MissingEnvVar: Sendable, Hashable {
    /// The variable's name (`SMTP_PASSWORD`).
    public var name: String
    /// What it is for, as the tool's manifest says.
    public var description: String

    /// A missing variable.
    public init(name: String, description: String) {
        self.name = name
        self.description = description
    }

    /// `{"name", "description"}`: an item of `missingVars` in the `MISSING_ENV_VARS` pause (DESIGN §5).
    public var json: JSONValue { ["name": .string(name), "description": .string(description)] }
}
