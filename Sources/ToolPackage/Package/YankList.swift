import JSON

/// The revocation list: package versions that must not be installed or run any more.
///
/// Stored as a JSON array of `{"id", "version", "reason", "date"}` (ISO 8601 UTC date). `install`
/// refuses a yanked version (`PACKAGE_YANKED`); later runs ask ``isYanked(id:version:)``.
public struct YankList: Sendable, Hashable {
    /// One yanked version: `{"id", "version", "reason", "date"}`.
    public struct Entry: Sendable, Hashable {
        /// The tool id.
        public var id: String
        /// The version (semver text).
        public var version: String
        /// Why it was yanked.
        public var reason: String
        /// When (ISO 8601 UTC).
        public var date: String

        /// The entry's JSON object, as the yank file holds it.
        public var json: JSONValue {
            ["id": .string(id), "version": .string(version), "reason": .string(reason), "date": .string(date)]
        }
    }

    /// The file name of the list in the appliance's home (`<OMEGA_HOME>/yanked.json`).
    public static let defaultFileName = "yanked.json"

    /// The entries, oldest first.
    public var entries: [Entry]

    /// A list.
    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// The reason `id@version` was yanked, or nil when it was not. Versions compare by semver
    /// precedence (`1.0.0+build` matches `1.0.0`).
    public func isYanked(id: String, version: String) -> String? {
        let wanted = SemanticVersion(version)
        return entries.last { entry in
            guard entry.id == id else { return false }
            if let wanted, let v = SemanticVersion(entry.version) { return v == wanted }
            return entry.version == version
        }?.reason
    }

    /// Adds (or replaces) the entry for `id@version`, dated now unless `date` is given.
    ///
    /// - Throws: `INVALID_MANIFEST` when `id` or `version` is malformed.
    public mutating func yank(id: String, version: String, reason: String, date: String? = nil) throws(PackageError) {
        guard ToolManifest.isValidID(id) else {
            throw PackageError(.invalidManifest, "\(id): expected a dotted lowercase tool id such as web.fetch_extract")
        }
        guard SemanticVersion(version) != nil else {
            throw PackageError(.invalidManifest, "\(version): expected a semantic version such as 1.2.0")
        }
        entries.removeAll { $0.id == id && SemanticVersion($0.version) == SemanticVersion(version) }
        entries.append(Entry(id: id, version: version, reason: reason, date: date ?? PackageFS.nowISO8601()))
    }

    /// Loads a yank file; a missing file is an empty list.
    ///
    /// - Throws: `PACKAGE_INVALID_CONFIGURATION` naming the file and entry when malformed.
    public static func load(path: String) throws(PackageError) -> YankList {
        guard try PackageFS.lstat(path) != nil else { return YankList() }
        let text = try PackageFS.readText(path, limit: 16 << 20)
        func bad(_ what: String) -> PackageError { PackageError(.invalidConfiguration, "\(path): \(what)", path: path) }
        let document: JSONValue
        do { document = try JSONParser().parse(text) } catch { throw bad("not valid JSON: \(error)") }
        guard case .array(let items) = document else {
            throw bad("expected a JSON array of {id, version, reason, date}")
        }
        var entries: [Entry] = []
        for (i, item) in items.enumerated() {
            guard let entry = Entry(json: item) else {
                throw bad("[\(i)]: expected {id, version, reason, date} with string id and version")
            }
            entries.append(entry)
        }
        return YankList(entries)
    }

    /// Writes the list atomically (temporary file, then rename).
    public func save(path: String) throws(PackageError) {
        try PackageFS.makeDirectories(PackageFS.parentDirectory(path))
        try PackageFS.writeAtomically(path, Array((JSONValue.array(entries.map(\.json)).jsonText + "\n").utf8))
    }
}

extension YankList.Entry {
    /// The entry in a JSON object with a string `id` and `version` (`reason` and `date` default to
    /// empty); nil when it is not one.
    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let version = json["version"]?.stringValue else { return nil }
        self.init(
            id: id, version: version, reason: json["reason"]?.stringValue ?? "", date: json["date"]?.stringValue ?? "")
    }
}
