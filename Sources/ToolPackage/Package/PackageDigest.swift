import Crypto
import JSON

/// The canonical description of a package that is hashed and signed.
///
/// The description is the JSON document
/// `{"format": "omega-package/1", "manifestSHA256": H, "files": [{path, sha256, size, executable}…]}`
/// in RFC 8785 canonical form, where `H` is the SHA-256 of the manifest's canonical JSON and `files`
/// lists every regular file of the package except `omega.sig.json` (including `omega.json` itself),
/// sorted by the UTF-8 bytes of the path. The package digest is the SHA-256 of those canonical
/// bytes; the Ed25519 signature is over the same bytes. Whitespace-only edits of `omega.json` change
/// its file hash, so every byte of every file is covered; the separate manifest hash lets a verifier
/// say "manifest tampered" precisely.
public struct PackageDigest: Sendable, Hashable {
    /// The description format tag.
    public static let format = "omega-package/1"
    /// The manifest file name.
    public static let manifestFile = ToolManifest.fileName
    /// The signature file name (excluded from the digest).
    public static let signatureFile = "omega.sig.json"

    /// SHA-256 (hex) of the manifest's canonical JSON.
    public var manifestSHA256: String
    /// Every file except the signature, sorted by path bytes.
    public var files: [PackageFile]

    /// A description from its parts (`files` are sorted here).
    public init(manifestSHA256: String, files: [PackageFile]) {
        self.manifestSHA256 = manifestSHA256
        self.files = files.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// The description document.
    public var document: JSONValue {
        ["format": .string(Self.format), "manifestSHA256": .string(manifestSHA256), "files": .array(files.map(\.json))]
    }

    /// The canonical (RFC 8785) bytes that are hashed and signed.
    public var canonicalBytes: [UInt8] { Array(document.canonicalText.utf8) }

    /// The package digest: lowercase hex SHA-256 of ``canonicalBytes``.
    public var digest: String { ByteEncoding.hex(SHA256.hash(data: canonicalBytes)) }

    /// SHA-256 (hex) of a manifest document's canonical JSON.
    public static func manifestHash(_ manifest: JSONValue) -> String {
        ByteEncoding.hex(SHA256.hash(data: Array(manifest.canonicalText.utf8)))
    }

    /// Describes the package folder at `folder`: reads and parses `omega.json`, hashes every file.
    ///
    /// - Throws: `INVALID_MANIFEST` when `omega.json` is missing or not JSON; `ARCHIVE_SYMLINK` /
    ///   `ARCHIVE_SPECIAL_FILE` for links and special files in the folder; `IO_ERROR`.
    public static func compute(folder: String, limits: ExtractionLimits = .init()) throws(PackageError) -> PackageDigest
    {
        let files = try PackageContents.scan(folder: folder, limits: limits)
        let manifest = try PackageContents.readManifestDocument(folder: folder)
        return PackageDigest(manifestSHA256: manifestHash(manifest), files: files)
    }
}

/// Walking a package folder.
enum PackageContents {
    /// Every regular file below `folder` except a root-level `omega.sig.json`, hashed; refuses links
    /// and special files, and folders over the extraction limits (so what packs also extracts).
    static func scan(folder: String, limits: ExtractionLimits) throws(PackageError) -> [PackageFile] {
        guard let info = try PackageFS.lstat(folder), info.kind == .directory else {
            throw PackageError(.io, "\(folder) is not a directory", path: folder)
        }
        var files: [PackageFile] = []
        var total: Int64 = 0
        try walk(root: folder, relative: "", depth: 0, limits: limits, files: &files, total: &total)
        return PackageDigest(manifestSHA256: "", files: files).files
    }

    private static func walk(
        root: String, relative: String, depth: Int, limits: ExtractionLimits, files: inout [PackageFile],
        total: inout Int64
    ) throws(PackageError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        for name in try PackageFS.list(directory) {
            let path = relative.isEmpty ? name : relative + "/" + name
            if relative.isEmpty && name == PackageDigest.signatureFile { continue }
            let full = root + "/" + path
            guard let info = try PackageFS.lstat(full) else { continue }
            switch info.kind {
            case .directory:
                guard depth + 1 < limits.maxDepth else {
                    throw PackageError(
                        .badPath, "\(path): nested deeper than \(limits.maxDepth) directories", path: path)
                }
                try walk(root: root, relative: path, depth: depth + 1, limits: limits, files: &files, total: &total)
            case .regular:
                guard path.utf8.count <= limits.maxPathBytes else {
                    throw PackageError(.badPath, "\(path): path longer than \(limits.maxPathBytes) bytes", path: path)
                }
                guard files.count < limits.maxFiles else {
                    throw PackageError(
                        .tooManyFiles, "\(folderName(root)) has more than \(limits.maxFiles) files", path: root)
                }
                guard info.size <= limits.maxFileBytes else {
                    throw PackageError(
                        .tooLarge, "\(path): \(info.size) bytes is over the \(limits.maxFileBytes)-byte file limit",
                        path: path)
                }
                total += info.size
                guard total <= limits.maxTotalBytes else {
                    throw PackageError(
                        .tooLarge, "\(folderName(root)) is over the \(limits.maxTotalBytes)-byte package limit",
                        path: root)
                }
                var hasher = SHA256()
                var size: Int64 = 0
                try PackageFS.readChunks(full) { chunk in
                    hasher.update(bufferPointer: chunk)
                    size += Int64(chunk.count)
                }
                files.append(
                    PackageFile(
                        path: path, sha256: ByteEncoding.hex(hasher.finalize()), size: size,
                        executable: info.mode & 0o111 != 0))
            case .symlink:
                throw PackageError(.symlink, "\(path): symbolic links are not allowed in packages", path: path)
            case .other:
                throw PackageError(
                    .specialFile, "\(path): only regular files and directories are allowed in packages", path: path)
            }
        }
    }

    private static func folderName(_ path: String) -> String { path }

    /// The parsed `omega.json` of a folder.
    static func readManifestDocument(folder: String) throws(PackageError) -> JSONValue {
        let path = folder + "/" + PackageDigest.manifestFile
        guard let info = try PackageFS.lstat(path), info.kind == .regular else {
            throw PackageError(
                .invalidManifest, "\(path): missing (every package has an omega.json at its root)", path: path)
        }
        let text = try PackageFS.readText(path, limit: 4 << 20)
        do {
            return try JSONParser().parse(text)
        } catch {
            throw PackageError(.invalidManifest, "\(path): not valid JSON: \(error)", path: path)
        }
    }
}
