import JSON

/// One file of a package as the digest covers it: `{"path", "sha256", "size", "executable"}`.
public struct PackageFile: Sendable, Hashable {
    /// The path relative to the package root, `/`-separated (`lib/util.py`).
    public var path: String
    /// Lowercase hex SHA-256 of the contents.
    public var sha256: String
    /// Size in bytes.
    public var size: Int64
    /// Whether any execute bit is set (packed as mode 0755, else 0644).
    public var executable: Bool

    /// The entry's JSON object, as the digest and the signature file hold it.
    public var json: JSONValue {
        ["path": .string(path), "sha256": .string(sha256), "size": .integer(size), "executable": .bool(executable)]
    }
}

extension PackageFile {
    /// The entry in a JSON object with a string `path` and `sha256`, an integer `size` and a boolean
    /// `executable`; nil when it is not one.
    init?(json: JSONValue) {
        guard let path = json["path"]?.stringValue, let sha256 = json["sha256"]?.stringValue,
            case .integer(let size) = json["size"], let executable = json["executable"]?.boolValue
        else { return nil }
        self.init(path: path, sha256: sha256, size: size, executable: executable)
    }
}
