import Registry
import Service
import ToolPackage
import ToolRuntime

extension OfflinePlanner {
    /// Other tools for a call that failed (flow D); ``alternativesNow(for:user:limit:)`` without `async`.
    public func alternatives(for failure: ToolFailure, user: String?, limit: Int) async throws(OmegaError)
        -> [Alternative]
    {
        try alternativesNow(for: failure, user: user, limit: limit)
    }

    /// Other tools for a call that failed (flow D), synchronously.
    ///
    /// Searches the registry (for `user`: pins first) with the failed tool's title, keywords and
    /// description, as the registry holds them (the words of its id when the registry does not know
    /// it), and leaves out every version of the failed tool. Best first: the search's order, except that
    /// when the failure was the appliance's rather than the task's, the tools that avoid the same obstacle
    /// come first, each group keeping the search's order: for `MISSING_ENV_VARS` those with no required
    /// key missing, for `TOOL_UNAVAILABLE` those ``Alternative/runnable`` now.
    ///
    /// - Parameters:
    ///   - failure: The tool that failed and its code.
    ///   - user: Whose pins and vault count (nil: the local user).
    ///   - limit: Most alternatives, 1…``maximumAlternatives``.
    /// - Returns: At most `limit` alternatives, none of them the failed tool; empty when there are none.
    /// - Throws: `INVALID_INPUT` naming `toolId` (not a tool id), `version` (not a semantic version) or
    ///   `limit`; `INTERNAL_ERROR` when the registry cannot be read.
    public func alternativesNow(
        for failure: ToolFailure, user: String?, limit: Int = OfflinePlanner.maximumAlternatives
    )
        throws(OmegaError) -> [Alternative]
    {
        guard ToolManifest.isValidID(failure.toolId) else {
            throw OmegaError(
                .invalidInput,
                "toolId: expected a tool id such as text.word_count, got \"\(failure.toolId.prefix(100))\"",
                details: ["field": "toolId"])
        }
        var version: SemanticVersion?
        if let text = failure.version {
            guard let parsed = SemanticVersion(text) else {
                throw OmegaError(
                    .invalidInput, "version: expected a semantic version such as 1.2.0, got \"\(text.prefix(100))\"",
                    details: ["field": "version"])
            }
            version = parsed
        }
        guard (1...Self.maximumAlternatives).contains(limit) else {
            throw OmegaError(
                .invalidInput, "limit: expected an integer from 1 to \(Self.maximumAlternatives), got \(limit)",
                details: ["field": "limit"])
        }
        let query = Vocabulary.query(try failedToolWords(failure.toolId, version: version))
        let found = try search(query, user: user, limit: limit * 2 + 1)
            .filter { $0.entry.id != failure.toolId }.map(Alternative.init)
        let avoids: ((Alternative) -> Bool)?
        switch failure.code {
        case .missingEnvVars: avoids = { $0.missingEnvVars.isEmpty }
        case .toolUnavailable: avoids = { $0.runnable }
        default: avoids = nil
        }
        let ordered = avoids.map { avoids in found.filter(avoids) + found.filter { !avoids($0) } } ?? found
        return Array(ordered.prefix(limit))
    }

    /// The failed tool's title (or id words), keywords and description: lowercased words without stop
    /// words, in that order.
    private func failedToolWords(_ id: String, version: SemanticVersion?) throws(OmegaError) -> [String] {
        _ = try registry.registry()  // local tools synced before the store is read
        let entry: RegistryEntry?
        do {
            // The version that failed, else (a version the registry does not know) the standing one.
            var found = try registry.store.entry(id: id, version: version)
            if found == nil, version != nil { found = try registry.store.entry(id: id) }
            entry = found
        } catch {
            throw OmegaError(
                .internalError, "cannot read the registry: \(error.message)",
                details: ["reason": .string(error.code.rawValue)])
        }
        guard let entry else { return Self.plainWords(id) }
        return Self.plainWords(([entry.title ?? id] + entry.keywords + [entry.description]).joined(separator: " "))
    }

    /// Lowercased runs of letters and digits of `text`, without stop words or single characters, as the
    /// search tokenizes them itself (no stemming here).
    static func plainWords(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init).filter {
            $0.count > 1 && !Vocabulary.isStopWord($0)
        }
    }
}
