/// Copies a package folder into a fresh private place, so that what is verified and later used is a
/// snapshot no one else can change. Only regular files are copied (links and special files are
/// refused by the scan, files are read with `O_NOFOLLOW`); modes become 0644, or 0755 for files with
/// any execute bit; directories 0755. The extraction limits apply.
public enum PackageFolderCopy {
    /// Copies `folder` into `destination` (created; its parent must exist).
    ///
    /// - Parameter durable: Whether each file is `fsync`ed (an install must survive a crash; a
    ///   per-run snapshot need not).
    /// - Throws: a ``PackageError`` naming the file at fault (a link, a special file, a limit, an I/O error).
    public static func copy(
        folder: String, to destination: String, limits: ExtractionLimits = .init(), durable: Bool = true
    ) throws(PackageError) {
        var files = try PackageContents.scan(folder: folder, limits: limits).map(\.path)
        if try PackageFS.lstat(folder + "/" + PackageDigest.signatureFile) != nil {
            files.append(PackageDigest.signatureFile)
        }
        try PackageFS.makeDirectories(destination)
        for path in files {
            let source = folder + "/" + path
            let bytes = try PackageFS.readFile(source, limit: Int(limits.maxFileBytes))
            let mode: PackageFS.Mode =
                (try PackageFS.lstat(source)).map { $0.mode & 0o111 != 0 } == true ? 0o755 : 0o644
            try PackageFS.makeDirectories(PackageFS.parentDirectory(destination + "/" + path))
            try PackageFS.createExclusive(destination + "/" + path, bytes, mode: mode, sync: durable)
        }
    }

    /// Removes `path` and everything below it without following links (a missing path is fine).
    public static func remove(_ path: String) { PackageFS.removeTree(path) }
}
