import JSON
import Service

/// Another tool that may do what a failed one was asked to do (flow D), with what it needs to run.
public struct Alternative: Sendable, Hashable {
    /// The tool id.
    public var id: String
    /// The version the registry stands at for it.
    public var version: String
    /// Its title (the id when it has none).
    public var title: String
    /// What it does.
    public var description: String
    /// Its BM25F score for the failed tool's title, description and keywords.
    public var score: Double
    /// Whether it is listed because it is pinned for the user.
    public var pinned: Bool
    /// Whether this version is installed here.
    public var installed: Bool
    /// Whether it can run now: installed, served here, circuit closed, no required key missing.
    public var runnable: Bool
    /// The keys (required environment variables) it needs, each with whether the vault lacks it now.
    public var requiredEnvVars: [ToolSearchResult.RequiredEnvVar]

    /// An alternative.
    public init(
        id: String, version: String, title: String, description: String, score: Double, pinned: Bool,
        installed: Bool, runnable: Bool, requiredEnvVars: [ToolSearchResult.RequiredEnvVar]
    ) {
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.score = score
        self.pinned = pinned
        self.installed = installed
        self.runnable = runnable
        self.requiredEnvVars = requiredEnvVars
    }

    /// The alternative of a search result.
    public init(_ result: ToolSearchResult) {
        self.init(
            id: result.entry.id, version: result.entry.version.description,
            title: result.entry.title ?? result.entry.id,
            description: result.entry.description, score: result.score, pinned: result.pinned,
            installed: result.installed, runnable: result.runnable, requiredEnvVars: result.requiredEnvVars)
    }

    /// The names of the required keys the vault lacks now, in the manifest's order.
    public var missingEnvVars: [String] { requiredEnvVars.filter(\.missing).map(\.name) }

    /// `{"id", "version", "title", "description", "score", "pinned", "installed", "runnable",
    /// "requiredEnvVars": [{"name", "description", "secret", "missing"}], "missingEnvVars": ["NAME"]}`
    /// (score rounded to three decimals, as in search results).
    public var json: JSONValue {
        [
            "id": .string(id), "version": .string(version), "title": .string(title),
            "description": .string(description), "score": .number((score * 1000).rounded() / 1000),
            "pinned": .bool(pinned), "installed": .bool(installed), "runnable": .bool(runnable),
            "requiredEnvVars": .array(
                requiredEnvVars.map {
                    [
                        "name": .string($0.name), "description": .string($0.description), "secret": .bool($0.secret),
                        "missing": .bool($0.missing),
                    ]
                }),
            "missingEnvVars": .array(missingEnvVars.map(JSONValue.string)),
        ]
    }
}

extension [Alternative] {
    /// The alternatives as a JSON array, best first (each ``Alternative/json``); `[]` when there are none.
    public var json: JSONValue { .array(map(\.json)) }
}
