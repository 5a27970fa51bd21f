import JSON
import Registry

/// One tool found, with what an agent needs to choose it (DESIGN §8).
public struct ToolSearchResult: Sendable {
    /// One environment variable the tool declares as required.
    public struct RequiredEnvVar: Sendable, Hashable {
        /// The variable's name.
        public var name: String
        /// What it is for.
        public var description: String
        /// Whether it is a secret.
        public var secret: Bool
        /// Whether the vault has no value for it now (for this user and tool).
        public var missing: Bool
    }

    /// The registry entry shown.
    public var entry: RegistryEntry
    /// The BM25F score.
    public var score: Double
    /// Listed first because pinned.
    public var pinned: Bool
    /// Installed on this appliance (this version).
    public var installed: Bool
    /// Installed and signed by a trusted key.
    public var verified: Bool
    /// The required environment variables and which are missing.
    public var requiredEnvVars: [RequiredEnvVar]
    /// Finished runs counted for the success rate (the last 100).
    public var finishedRuns: Int
    /// Completed / finished, nil before any run finished.
    public var successRate: Double?
    /// `closed`, `open` (calls refused until the cooldown ends) or `unknown` (not installed, or no
    /// run store to ask).
    public var circuit: String
    /// Installed, served here, circuit not open and no required variable missing.
    public var runnable: Bool

    /// The result as JSON (the shape of DESIGN §8).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(entry.id), "version": .string(entry.version.description),
            "title": .string(entry.title ?? entry.id), "description": .string(entry.description),
            "keywords": .array(entry.keywords.map(JSONValue.string)),
            "score": .number((score * 1000).rounded() / 1000), "pinned": .bool(pinned),
            "installed": .bool(installed), "verified": .bool(verified), "runnable": .bool(runnable),
            "origin": .string(entry.origin.rawValue),
            "requiredEnvVars": .array(
                requiredEnvVars.map {
                    [
                        "name": .string($0.name), "description": .string($0.description), "secret": .bool($0.secret),
                        "missing": .bool($0.missing),
                    ]
                }),
            "missingEnvVars": .array(requiredEnvVars.filter(\.missing).map { .string($0.name) }),
            "scopes": .array(entry.scopes.map(JSONValue.string)),
            "binding": entry.binding.map(JSONValue.string) ?? .null,
            "health": [
                "successRate": successRate.map { .number(($0 * 1000).rounded() / 1000) } ?? .null,
                "finishedRuns": .integer(Int64(finishedRuns)), "circuit": .string(circuit),
            ],
        ]
        if let risk = entry.risk {
            object["risk"] = [
                "level": .string(risk.level.rawValue), "externalWrite": .bool(risk.externalWrite),
                "readOnly": .bool(risk.readOnly),
            ]
        } else {
            object["risk"] = .null
        }
        // The digest identifies the package; its source (a path on this machine) is not an agent's business.
        if let package = entry.package { object["packageDigest"] = .string(package.digest) }
        if let input = entry.input { object["input"] = input }
        return .object(object)
    }
}
