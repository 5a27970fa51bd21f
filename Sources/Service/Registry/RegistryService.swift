import Credentials
import Foundation
import Jail
import JSON
import Logging
import Policy
import Registry
import RunStorage
import Search
import Synchronization
import ToolPackage
import ToolRuntime

/// The registry as every surface uses it (DESIGN §8): import index files, search, pin and unpin,
/// stats, and install an indexed tool. The registry lives in `<home>/registry.sqlite` with its search
/// index beside it (`registry.index`).
///
/// Local tools are kept in step on open: the starter tools shipped with the appliance
/// (`Manifests/`, or `OMEGA_STARTER_TOOLS`; empty for none) and the packages installed in the home
/// are written into the registry as `starter` and `installed` entries, so a fresh machine finds
/// the starter tools and an install shows up in the next search.
public final class RegistryService: Sendable {
    /// The appliance's home.
    public let home: OmegaHome
    /// The store.
    public let store: any RegistryStore
    let configuration: RuntimeConfiguration
    /// Where health comes from (nil: unknown).
    let runStoreForHealth: (any RunStore)?
    let logger: Logger
    let state = Mutex<State>(State())

    struct State {
        var registry: ToolRegistry?
        var local: LocalTools?
    }

    /// What the home holds locally: installed packages (verified?, digest) and starter folders.
    struct LocalTools {
        var installed: [String: (verified: Bool, digest: String)] = [:]
        /// The shipped starter tools (`id@version` → package digest): not installed, but they run.
        var starters: [String: String] = [:]
    }

    /// The user the CLI acts as when none is named.
    public static let localUser = "local"
    /// The registry database under the home.
    public static func storePath(_ home: OmegaHome) -> String { home.root + "/registry.sqlite" }
    /// The saved search index under the home.
    public static func indexPath(_ home: OmegaHome) -> String { home.root + "/registry.index" }

    /// Opens the registry of `configuration.home` (creating it when new).
    ///
    /// - Parameters:
    ///   - configuration: The home and the policy files (whose `pins` count).
    ///   - runStore: Where tool health comes from (nil: health is unknown).
    /// - Throws: `INTERNAL_ERROR` when the home or the store cannot be opened.
    public init(
        configuration: RuntimeConfiguration = .fromEnvironment(), runStore: (any RunStore)? = nil,
        logger: Logger = Logger(label: "omega.registry")
    ) throws(OmegaError) {
        home = configuration.home
        self.configuration = configuration
        self.runStoreForHealth = runStore
        self.logger = logger
        try home.prepare(policyTemplate: OmegaHome.defaultPolicyTemplate)
        do {
            store = try SQLiteRegistryStore(path: Self.storePath(home))
        } catch {
            throw OmegaError(registry: error)
        }
    }

    // MARK: Opening

    /// The search over the registry, opened once: local tools synced, the index loaded or rebuilt.
    public func registry() throws(OmegaError) -> ToolRegistry {
        if let registry = state.withLock({ $0.registry }) { return registry }
        _ = try syncLocalTools()
        let registry: ToolRegistry
        do {
            registry = try ToolRegistry(
                store: store, indexPath: Self.indexPath(home), yankList: yankList(), logger: logger)
        } catch {
            throw OmegaError(registry: error)
        }
        state.withLock { $0.registry = registry }
        return registry
    }

    /// The home's yank list (empty when it cannot be read).
    func yankList() -> YankList { (try? YankList.load(path: home.yankListPath)) ?? YankList() }

    /// Writes the starter tools and the installed packages into the registry (only what changed).
    @discardableResult
    func syncLocalTools() throws(OmegaError) -> LocalTools {
        if let local = state.withLock({ $0.local }) { return local }
        var local = LocalTools()
        var starters: [RegistryEntry] = []
        for folder in Self.starterFolders() {
            guard let manifest = Self.manifest(in: folder),
                let digest = try? PackageDigest.compute(folder: folder)
            else { continue }
            local.starters["\(manifest.id)@\(manifest.version)"] = digest.digest
            starters.append(
                RegistryEntry(
                    manifest: manifest, origin: .starter,
                    package: .init(source: folder, digest: "sha256:" + digest.digest)))
        }
        var installed: [RegistryEntry] = []
        let keys = (try? TrustedKeys.load(path: home.trustedKeysPath)) ?? TrustedKeys()
        let verifier = PackageVerifier(trustedKeys: keys, allowUnsigned: true)
        for folder in Self.installedFolders(home.packagesDirectory) {
            guard let manifest = Self.manifest(in: folder), let verification = try? verifier.verify(folder: folder)
            else { continue }
            local.installed["\(manifest.id)@\(manifest.version)"] = (verification.isSigned, verification.digest.digest)
            installed.append(
                RegistryEntry(
                    manifest: manifest, origin: .installed,
                    package: .init(source: folder, digest: "sha256:" + verification.digest.digest)))
        }
        do {
            _ = try store.replaceLocal(origin: .starter, with: starters)
            _ = try store.replaceLocal(origin: .installed, with: installed)
        } catch {
            throw OmegaError(registry: error)
        }
        state.withLock { $0.local = local }
        return local
    }

    /// The shipped starter tool folders: `OMEGA_STARTER_TOOLS` (a folder of packages; empty for none),
    /// else `Manifests/` of a checkout or `share/omega-exec/manifests`.
    static func starterFolders() -> [String] {
        let root: String?
        if let value = ProcessInfo.processInfo.environment["OMEGA_STARTER_TOOLS"] {
            root = value.isEmpty ? nil : value
        } else {
            root = JailPaths.shippedDirectories(checkout: "Manifests", installed: "manifests").first {
                FileManager.default.fileExists(atPath: $0)
            }
        }
        guard let root, let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.sorted().map { root + "/" + $0 }.filter {
            FileManager.default.fileExists(atPath: $0 + "/" + ToolManifest.fileName)
        }
    }

    /// `<packages>/<id>/<version>` folders (staging folders skipped).
    static func installedFolders(_ packages: String) -> [String] {
        let fm = FileManager.default
        guard let ids = try? fm.contentsOfDirectory(atPath: packages) else { return [] }
        var folders: [String] = []
        for id in ids.sorted() where !id.hasPrefix(".") {
            guard let versions = try? fm.contentsOfDirectory(atPath: packages + "/" + id) else { continue }
            for version in versions.sorted() where !version.hasPrefix(".") {
                folders.append(packages + "/" + id + "/" + version)
            }
        }
        return folders
    }

    static func manifest(in folder: String) -> ToolManifest? {
        guard let text = try? String(contentsOfFile: folder + "/" + ToolManifest.fileName, encoding: .utf8) else {
            return nil
        }
        return try? ToolManifest.decode(text: text, file: folder)
    }

    // MARK: Import and stats

    /// Imports an index file (JSON Lines, `.gz` or `.xz`) in one transaction, then rebuilds and saves
    /// the search index so the next search loads it.
    ///
    /// - Returns: The counts and the problems of malformed lines (each skipped), and the index build.
    /// - Throws: `INVALID_INPUT` (field `file`) for a missing or unreadable file, `INTERNAL_ERROR`.
    public func importIndex(file: String) throws(OmegaError) -> (result: RegistryImport, indexSeconds: Double) {
        let result: RegistryImport
        do {
            result = try store.importIndex(file: file)
        } catch where error.code == .indexUnreadable {
            throw OmegaError(
                .invalidInput, error.message, details: ["field": "file", "reason": .string(error.code.rawValue)])
        } catch {
            throw OmegaError(registry: error)
        }
        state.withLock { $0.registry = nil }
        let registry = try self.registry()
        return (result, registry.opening.seconds)
    }

    /// What the registry holds, and the search index's size.
    public func stats() throws(OmegaError) -> JSONValue {
        let registry = try self.registry()
        let stats: RegistryStats
        do {
            stats = try store.stats()
        } catch {
            throw OmegaError(registry: error)
        }
        var byOrigin: [String: JSONValue] = [:]
        for origin in RegistryEntry.Origin.allCases { byOrigin[origin.rawValue] = .integer(Int64(stats.byOrigin[origin] ?? 0)) }
        let indexFile = (try? FileManager.default.attributesOfItem(atPath: Self.indexPath(home))[.size] as? Int) ?? 0
        return [
            "tools": .integer(Int64(stats.tools)), "versions": .integer(Int64(stats.versions)),
            "searchable": .integer(Int64(registry.toolCount)), "byOrigin": .object(byOrigin),
            "yanked": .integer(Int64(stats.yanked)),
            "lastImport": stats.lastImportMs.map { .integer($0) } ?? .null,
            "databaseBytes": .integer(stats.databaseBytes), "indexBytes": .integer(Int64(indexFile)),
            "indexSource": .string(registry.opening.source.rawValue),
            "openSeconds": .number((registry.opening.seconds * 1000).rounded() / 1000),
        ]
    }
}

extension OmegaError {
    /// The wire error for a registry failure: its own code in `details.code`.
    init(registry error: RegistryError) {
        let code: OmegaError.Code
        switch error.code {
        case .notFound: code = .toolNotFound
        case .yanked: code = .toolUnavailable
        case .invalidReference, .invalidArgument, .indexUnreadable: code = .invalidInput
        case .storeFailed: code = .internalError
        }
        self.init(code, error.message, details: ["reason": .string(error.code.rawValue)])
    }
}
