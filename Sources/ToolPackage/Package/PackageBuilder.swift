import JSON
import Crypto

/// Packs a package folder into a deterministic, optionally signed `.tar.gz`.
///
/// The archive holds every regular file of the folder (sorted by path; directories are implied),
/// each with mtime 2000-01-01, uid/gid 0, uname/gname `omega` and mode 0755 when any execute bit
/// was set, else 0644; no gzip timestamp. Packing the same folder with the same key twice gives
/// byte-identical archives. With a key, `omega.sig.json` (see ``PackageSignature``) is added; a stale
/// `omega.sig.json` in the folder is never packed. Symbolic links and special files are refused.
public struct PackageBuilder: Sendable {
    /// The limits a folder must respect (the same ones extraction enforces).
    public var limits: ExtractionLimits

    /// A builder.
    public init(limits: ExtractionLimits = .init()) { self.limits = limits }

    /// What was packed.
    public struct Result: Sendable, Hashable {
        /// The archive written.
        public var archivePath: String
        /// The package description and its digest.
        public var digest: PackageDigest
        /// The signature, when a key was given.
        public var signature: PackageSignature?
    }

    /// Packs `folder` into `output`.
    ///
    /// The archive is written to a temporary file beside `output` and renamed into place, so
    /// `output` is either the complete new archive or untouched.
    ///
    /// - Parameters:
    ///   - folder: the package folder (with `omega.json` at its root).
    ///   - output: the `.tar.gz` to write; must not be inside `folder`.
    ///   - key: the signing key, or nil for an unsigned package.
    /// - Throws: `INVALID_MANIFEST` (no/unparsable omega.json), `ARCHIVE_SYMLINK`, `ARCHIVE_SPECIAL_FILE`,
    ///   limit errors, `ARCHIVE_ERROR`, `IO_ERROR`.
    @discardableResult
    public func build(folder: String, output: String, signingKey key: SigningKey? = nil) throws(PackageError) -> Result
    {
        if let root = PackageFS.realPath(folder), let outDir = PackageFS.realPath(PackageFS.parentDirectory(output)),
            outDir == root || outDir.hasPrefix(root + "/")
        {
            throw PackageError(
                .io, "\(output): the archive must be written outside the package folder \(folder)", path: output)
        }
        let digest = try PackageDigest.compute(folder: folder, limits: limits)
        let signature = try key.map { (k) throws(PackageError) in try PackageSignature(signing: digest, with: k) }

        let temp = output + ".partial-\(UInt32.random(in: 0...UInt32.max))"
        do throws(PackageError) {
            let writer = try ArchiveWriter(path: temp)
            for file in digest.files {
                let mode: UInt32 = file.executable ? 0o755 : 0o644
                try writer.header(file.path, mode: mode, size: file.size)
                var written: Int64 = 0
                var hasher = SHA256()
                try PackageFS.readChunks(folder + "/" + file.path) { (chunk) throws(PackageError) in
                    written += Int64(chunk.count)
                    guard written <= file.size else {
                        throw PackageError(.io, "\(file.path) changed while it was being packed", path: file.path)
                    }
                    hasher.update(bufferPointer: chunk)
                    try writer.writeData(chunk)
                }
                guard written == file.size, ByteEncoding.hex(hasher.finalize()) == file.sha256 else {
                    throw PackageError(.io, "\(file.path) changed while it was being packed", path: file.path)
                }
            }
            if let signature {
                try writer.addFile(PackageDigest.signatureFile, contents: Array((signature.json.jsonText + "\n").utf8))
            }
            try writer.close()
            try PackageFS.rename(temp, output)
        } catch {
            PackageFS.removeTree(temp)
            throw error
        }
        return Result(archivePath: output, digest: digest, signature: signature)
    }
}
