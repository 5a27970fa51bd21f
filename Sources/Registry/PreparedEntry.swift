import Foundation

/// An entry as the `entries` and `documents` tables store it: every column computed up front, so an
/// import can prepare entries on one thread while another writes them.
struct PreparedEntry: Sendable {
    var id: String
    var versionKey: Data
    var version: String
    var title: String?
    var description: String
    /// `\n`-joined (keywords have no control characters).
    var keywords: String
    var binding: String?
    var riskLevel: String?
    /// `\n`-joined.
    var scopes: String
    /// The names of the required environment variables, `\n`-joined.
    var requiredEnv: String
    var yanked: String?
    /// ``RegistryEntry/documentText``.
    var document: String

    init(_ entry: RegistryEntry) {
        id = entry.id
        versionKey = VersionKey.of(entry.version)
        version = entry.version.description
        title = entry.title
        description = entry.description
        keywords = entry.keywords.joined(separator: "\n")
        binding = entry.binding
        riskLevel = entry.risk?.level.rawValue
        scopes = entry.scopes.joined(separator: "\n")
        requiredEnv = entry.requiredEnvNames.joined(separator: "\n")
        yanked = entry.yanked
        document = entry.documentText
    }
}
