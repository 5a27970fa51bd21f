import Credentials
import Foundation
import JSON
import Policy
import Registry
import RunStorage
import Search
import ToolPackage
import ToolRuntime

extension RegistryService {
    /// Searches the registry (see ``ToolSearchRequest``): pinned tools that match first, then by BM25F
    /// score; each result carries its installation, signature, required variables (and which are
    /// missing from the vault now) and health.
    ///
    /// - Throws: `INVALID_INPUT` naming the field (`query`, `limit`, `binding`, `risk`, `scope`) and
    ///   what was expected; `INTERNAL_ERROR` when the store cannot be read.
    public func search(_ request: ToolSearchRequest) throws(OmegaError) -> [ToolSearchResult] {
        let query: SearchQuery
        do {
            query = try SearchQuery(request.query)
        } catch {
            throw OmegaError(.invalidInput, error.message, details: ["field": "query"])
        }
        guard (1...ToolRegistry.maximumLimit).contains(request.limit) else {
            throw OmegaError(
                .invalidInput,
                "limit: expected an integer from 1 to \(ToolRegistry.maximumLimit), got \(request.limit)",
                details: ["field": "limit"])
        }
        var filter = SearchFilter()
        if !request.bindings.isEmpty {
            filter.bindings = Set(
                try request.bindings.map { (name) throws(OmegaError) in
                    guard let binding = DocumentAttributes.Binding(name: name) else {
                        throw OmegaError(
                            .invalidInput,
                            "binding: expected sandbox_job, inproc_safe, mcp_remote or openapi_proxy, got \"\(name)\"",
                            details: ["field": "binding"])
                    }
                    return binding
                })
        }
        if !request.risks.isEmpty {
            filter.risks = Set(
                try request.risks.map { (name) throws(OmegaError) in
                    guard let risk = DocumentAttributes.Risk(name: name) else {
                        throw OmegaError(
                            .invalidInput, "risk: expected low, medium or high, got \"\(name)\"",
                            details: ["field": "risk"])
                    }
                    return risk
                })
        }
        for scope in request.scopes where !ToolManifest.isValidScope(scope) {
            throw OmegaError(
                .invalidInput, "scope: expected a scope name ([a-z][a-z0-9_]*), got \"\(scope)\"",
                details: ["field": "scope"])
        }
        filter.scopes = request.scopes

        let registry = try self.registry()
        let local = try syncLocalTools()
        let context = try SearchContext(service: self, user: request.user ?? Self.localUser, local: local)
        let localOnly = request.installed || request.verified || request.runnable
        let accept: ((SearchableRow) -> Bool)? =
            localOnly
            ? { row in
                let installed = local.installed["\(row.id)@\(row.version)"]
                if (request.installed || request.verified) && installed == nil { return false }
                if request.verified && installed?.verified != true { return false }
                if request.runnable {
                    let digest = context.packageDigest(id: row.id, version: row.version, origin: row.origin)
                    return context.isRunnable(
                        id: row.id, version: row.version, binding: row.binding, digest: digest,
                        missing: context.missing(row.requiredEnvNames, toolID: row.id))
                }
                return true
            } : nil
        let pinned = try pins(user: request.user).map { (id: $0.id, version: $0.version) }
        let hits: [RegistryHit]
        do {
            hits = try registry.search(
                query, limit: request.limit, filter: filter, localOnly: localOnly, acceptLocal: accept, pins: pinned)
        } catch {
            throw OmegaError(registry: error)
        }
        return hits.map { context.result($0) }
    }

    /// Tool `id` as a search result would show it for `user` (installation, missing keys, health), with
    /// score 0: the version pinned for `user` when there is a pin, else the highest version neither its
    /// publisher nor the home's yank list yanked; nil when the registry has none.
    ///
    /// - Throws: `INTERNAL_ERROR` when the registry cannot be read; `POLICY_DENIED` when the policy
    ///   (its pins) cannot be read.
    public func describe(_ id: String, user: String? = nil) throws(OmegaError) -> ToolSearchResult? {
        _ = try registry()
        let local = try syncLocalTools()
        let pinned = try pins(user: user).first { $0.id == id }?.version
        let yanks = yankList()
        let entry: RegistryEntry?
        do {
            entry = try store.entry(id: id, version: pinned) { id, version in
                yanks.isYanked(id: id, version: version.description) != nil
            }
        } catch {
            throw OmegaError(registry: error)
        }
        guard let entry else { return nil }
        let context = try SearchContext(service: self, user: user ?? Self.localUser, local: local)
        return context.result(RegistryHit(entry: entry, score: 0, pinned: false))
    }

    /// A pin as listed: the tool, the version (nil: the newest) and the level that set it.
    public struct Pin: Sendable, Hashable {
        /// The tool id.
        public var id: String
        /// The pinned version, nil for the newest.
        public var version: SemanticVersion?
        /// `workspace`, `project` or `user`.
        public var level: String
        /// Where it is recorded (a policy file, or the registry for a user's pin).
        public var source: String
    }

    /// Every pin in force for `user`: the policy files' (workspace, project, user level) and the
    /// user's own in the registry; the narrowest wins for an id.
    public func pins(user: String? = nil) throws(OmegaError) -> [Pin] {
        var result: [Pin] = []
        var seen = Set<String>()
        let engine: PolicyEngine
        do {
            engine = try PolicyLoader().load(
                workspace: configuration.workspacePolicy, project: configuration.projectPolicy,
                user: configuration.userPolicy)
        } catch {
            throw OmegaError(.policyDenied, "cannot read the policy: \(error)")
        }
        for (pin, source) in engine.pins where seen.insert(pin.id).inserted {
            result.append(
                Pin(
                    id: pin.id, version: pin.version.flatMap { SemanticVersion($0) },
                    level: source.level.rawValue, source: source.path))
        }
        do {
            for pin in try store.pins(user: user ?? Self.localUser) where seen.insert(pin.id).inserted {
                result.append(Pin(id: pin.id, version: pin.version, level: "user", source: Self.storePath(home)))
            }
        } catch {
            throw OmegaError(registry: error)
        }
        return result
    }
}

/// What one search needs to describe its results: the vault's names, the runs' health.
struct SearchContext {
    /// The vault (nil when the home has none yet: every required variable is missing).
    let vault: CredentialVault?
    let user: String
    let local: RegistryService.LocalTools
    let runStore: (any RunStore)?
    let nowMs: Int64

    init(service: RegistryService, user: String, local: RegistryService.LocalTools) throws(OmegaError) {
        if FileManager.default.fileExists(atPath: service.home.vaultDirectory) {
            do {
                vault = try CredentialVault(directory: service.home.vaultDirectory)
            } catch {
                throw OmegaError(.internalError, "cannot open the vault: \(error)")
            }
        } else {
            vault = nil
        }
        self.user = user
        self.local = local
        runStore = service.runStoreForHealth
        nowMs = Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// The names of `names` the vault has no value for, for `toolID` and the user.
    func missing(_ names: [String], toolID: String) -> [String] {
        let stored = vault?.storedNames(names, toolID: toolID, user: user) ?? []
        return names.filter { !stored.contains($0) }
    }

    /// `closed`, `open` or `unknown` (not installed, or no run store).
    func circuit(id: String, version: String, digest: String?) -> String {
        guard let digest, let runStore,
            let health = try? runStore.toolHealth(toolID: "\(id)@\(version)#\(digest.prefix(16))")
        else { return "unknown" }
        return health.isOpen(atMs: nowMs) ? "open" : "closed"
    }

    func result(_ hit: RegistryHit) -> ToolSearchResult {
        let entry = hit.entry
        let key = "\(entry.id)@\(entry.version)"
        let installed = local.installed[key]
        let missing = Set(missing(entry.requiredEnvNames, toolID: entry.id))
        let required = entry.env.filter(\.required).map {
            ToolSearchResult.RequiredEnvVar(
                name: $0.name, description: $0.description, secret: $0.secret, missing: missing.contains($0.name))
        }
        let summary =
            (try? runStore?.runSummary(toolID: entry.id, version: entry.version.description, limit: 100))
            ?? ToolRunSummary()
        let digest = packageDigest(id: entry.id, version: entry.version, origin: entry.origin)
        return ToolSearchResult(
            entry: entry, score: hit.score, pinned: hit.pinned, installed: installed != nil,
            verified: installed?.verified ?? false, requiredEnvVars: required, finishedRuns: summary.finished,
            successRate: summary.successRate,
            circuit: circuit(id: entry.id, version: entry.version.description, digest: digest),
            runnable: isRunnable(
                id: entry.id, version: entry.version, binding: entry.binding, digest: digest, missing: Array(missing)))
    }

    /// The digest of the package that runs for `id@version` here: the installed one, else the shipped
    /// starter folder's (a starter tool runs without being installed); nil when nothing here runs it.
    func packageDigest(id: String, version: SemanticVersion, origin: RegistryEntry.Origin) -> String? {
        let key = "\(id)@\(version)"
        return local.installed[key]?.digest ?? (origin == .starter ? local.starters[key] : nil)
    }

    /// Whether the tool can run here now (`runnable` in results and the `--runnable` filter alike): a
    /// package here (`digest`), served here (`sandbox_job`), no key missing, its circuit not open.
    func isRunnable(id: String, version: SemanticVersion, binding: String?, digest: String?, missing: [String]) -> Bool
    {
        guard let digest, binding == "sandbox_job", missing.isEmpty else { return false }
        return circuit(id: id, version: version.description, digest: digest) != "open"
    }
}
