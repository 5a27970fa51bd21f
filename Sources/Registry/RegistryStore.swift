import Foundation
import ToolPackage

/// The registry's store (DESIGN §8): every tool version the appliance knows, by (id, version, origin),
/// and each user's pins. Behind a protocol so that another backend (PostgreSQL for a fleet) can replace
/// SQLite.
///
/// Which entry stands for a tool: for one version, the origin with the highest precedence (installed
/// over starter over index); the version chosen is the highest by semver precedence (`1.10.0` over
/// `1.9.0`, a release over its prereleases) whose standing entry is not yanked, by its publisher or by
/// the caller's `isYanked`. Every write is one transaction: it happens whole or not at all.
public protocol RegistryStore: Sendable {
    /// A counter bumped by every committed write that changes an entry (not by pins, not by writes that
    /// change nothing), so an index built from ``searchable(origins:isYanked:_:)`` can tell whether it is stale.
    var generation: Int64 { get throws(RegistryError) }

    /// Like ``generation``, but bumped only by committed writes that change an entry of origin `index`:
    /// what an index of the imported tools alone (rebuilt only when it is stale) is stamped with.
    var indexGeneration: Int64 { get throws(RegistryError) }

    /// Imports an index file (JSON Lines, plain, `.gz` or `.xz`), upserting each entry by (id, version)
    /// under `origin`, in one transaction.
    ///
    /// A malformed line is skipped and reported with its line number and field; every other line lands.
    /// A file that cannot be read to its end (missing, corrupt or truncated stream) aborts the import:
    /// the registry is exactly as before.
    ///
    /// - Parameters:
    ///   - file: the index file.
    ///   - origin: the origin given to its entries (normally `.index`).
    ///   - atMs: the time recorded as the last import (ms since the Unix epoch).
    /// - Returns: the counts and the first problems.
    /// - Throws: `REGISTRY_INDEX_UNREADABLE` naming the file, `REGISTRY_STORE_FAILED`.
    func importIndex(file: String, origin: RegistryEntry.Origin, atMs: Int64) throws(RegistryError) -> RegistryImport

    /// Inserts or replaces `entries` (each under its own origin), in one transaction.
    ///
    /// - Throws: `REGISTRY_INVALID_ARGUMENT` (nothing written) when an entry has an invalid id or an empty
    ///   description; `REGISTRY_STORE_FAILED`.
    func upsert(_ entries: [RegistryEntry]) throws(RegistryError) -> RegistryImport

    /// Deletes the entry (id, version, origin). Returns whether it existed. Deleting a local entry brings
    /// back the index entry of the same version, if there is one.
    func remove(id: String, version: SemanticVersion, origin: RegistryEntry.Origin) throws(RegistryError) -> Bool

    /// Makes the entries of `origin` exactly `entries` (their own origin is ignored), in one transaction:
    /// the sync of the installed-packages folder or of the starter tools.
    ///
    /// - Returns: added, updated, unchanged and removed counts.
    /// - Throws: as ``upsert(_:)``.
    func replaceLocal(origin: RegistryEntry.Origin, with entries: [RegistryEntry]) throws(RegistryError)
        -> RegistryImport

    /// Streams one row per tool id: its standing entry at the highest version that neither its publisher
    /// nor `isYanked` yanked (tools with no such version are left out), from one consistent snapshot, in
    /// no particular order.
    ///
    /// - Parameters:
    ///   - origins: the origins considered (the choice is made among their entries only).
    ///   - isYanked: the caller's extra yank list (the home's), asked only of candidate versions (given
    ///     without build metadata: yank lists compare by semver precedence).
    ///   - body: receives each row; an error it throws stops the scan and is rethrown.
    func searchable(
        origins: Set<RegistryEntry.Origin>, isYanked: (_ id: String, _ version: SemanticVersion) -> Bool,
        _ body: (SearchableRow) throws(RegistryError) -> Void
    ) throws(RegistryError)

    /// The entries stored under `rowIDs` (as ``SearchableRow/rowID``); ids no longer stored are absent.
    func entries(rowIDs: [Int64]) throws(RegistryError) -> [Int64: RegistryEntry]

    /// The standing entry of `id` at `version` (returned even when yanked: see its ``RegistryEntry/yanked``),
    /// or, when `version` is nil, at the highest version that neither its publisher nor `isYanked` yanked.
    /// Nil when there is none.
    func entry(id: String, version: SemanticVersion?, isYanked: (_ id: String, _ version: SemanticVersion) -> Bool)
        throws(RegistryError) -> RegistryEntry?

    /// The standing entry of every version of `id`, highest first, yanked ones included.
    func versions(id: String) throws(RegistryError) -> [RegistryEntry]

    /// How much the registry holds.
    func stats() throws(RegistryError) -> RegistryStats

    /// Pins `id` (at `version`, or following the highest) for `user`, replacing their earlier pin of it.
    ///
    /// - Throws: `REGISTRY_NOT_FOUND` when the registry does not know `id` (or that version of it),
    ///   `REGISTRY_VERSION_YANKED` when the version (or, without one, every version) is yanked,
    ///   `REGISTRY_INVALID_REFERENCE` for a malformed id, `REGISTRY_INVALID_ARGUMENT` for an empty user.
    @discardableResult
    func pin(user: String, id: String, version: SemanticVersion?, atMs: Int64) throws(RegistryError) -> RegistryPin

    /// Removes `user`'s pin of `id`. Returns whether there was one.
    func unpin(user: String, id: String) throws(RegistryError) -> Bool

    /// `user`'s pins, oldest first.
    func pins(user: String) throws(RegistryError) -> [RegistryPin]
}

extension RegistryStore {
    /// ``importIndex(file:origin:atMs:)`` of `.index` entries, now.
    public func importIndex(file: String) throws(RegistryError) -> RegistryImport {
        try importIndex(file: file, origin: .index, atMs: RegistryClock.nowMs())
    }

    /// ``searchable(origins:isYanked:_:)`` over every origin.
    public func searchable(
        isYanked: (_ id: String, _ version: SemanticVersion) -> Bool,
        _ body: (SearchableRow) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        try searchable(origins: Set(RegistryEntry.Origin.allCases), isYanked: isYanked, body)
    }

    /// ``searchable(origins:isYanked:_:)`` over every origin, with no extra yank list.
    public func searchable(_ body: (SearchableRow) throws(RegistryError) -> Void) throws(RegistryError) {
        try searchable(origins: Set(RegistryEntry.Origin.allCases), isYanked: { _, _ in false }, body)
    }

    /// ``entry(id:version:isYanked:)`` with no extra yank list.
    public func entry(id: String, version: SemanticVersion? = nil) throws(RegistryError) -> RegistryEntry? {
        try entry(id: id, version: version, isYanked: { _, _ in false })
    }

    /// ``pin(user:id:version:atMs:)`` now.
    @discardableResult
    public func pin(user: String, id: String, version: SemanticVersion? = nil) throws(RegistryError) -> RegistryPin {
        try pin(user: user, id: id, version: version, atMs: RegistryClock.nowMs())
    }
}

/// Wall-clock time for records that need a date.
enum RegistryClock {
    /// Milliseconds since the Unix epoch.
    static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
