import Foundation
import Manifest

/// Copies a package folder into a private place, refusing what a package must not contain (links,
/// special files) and what is too big, so the copy can be verified and mounted without a window in
/// which the original could change.
enum PackageCopy {
    /// Copies `folder` to `destination` (which must not exist): directories 0755, files 0644 or 0755
    /// (when any execute bit was set). Never follows a link.
    ///
    /// - Throws: `INVALID_MANIFEST` for a link, a special file or a package over the extraction
    ///   limits; `INTERNAL_ERROR` when copying fails.
    static func copy(folder: String, to destination: String, limits: ExtractionLimits = .init()) throws(ExecutorError) {
        let fm = FileManager.default
        var files = 0
        var bytes: Int64 = 0
        func fail(_ message: String) -> ExecutorError { ExecutorError(.invalidManifest, "\(folder): \(message)") }
        do {
            try fm.createDirectory(
                atPath: destination, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            var pending = [""]
            while let relative = pending.popLast() {
                let source = relative.isEmpty ? folder : folder + "/" + relative
                for name in try fm.contentsOfDirectory(atPath: source).sorted() {
                    let path = relative.isEmpty ? name : relative + "/" + name
                    let attributes = try fm.attributesOfItem(atPath: folder + "/" + path)  // lstat: links are not followed
                    files += 1
                    guard files <= limits.maxFiles else { throw fail("more than \(limits.maxFiles) files") }
                    guard path.utf8.count <= limits.maxPathBytes else { throw fail("\(path): path too long") }
                    switch attributes[.type] as? FileAttributeType {
                    case .typeDirectory?:
                        guard path.split(separator: "/").count <= limits.maxDepth else {
                            throw fail("\(path): nested too deep")
                        }
                        try fm.createDirectory(
                            atPath: destination + "/" + path, withIntermediateDirectories: false,
                            attributes: [.posixPermissions: 0o755])
                        pending.append(path)
                    case .typeRegular?:
                        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                        bytes += size
                        guard size <= limits.maxFileBytes, bytes <= limits.maxTotalBytes else {
                            throw fail("\(path): the package is larger than the limits")
                        }
                        let mode =
                            ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0) & 0o111 != 0 ? 0o755 : 0o644
                        // O_NOFOLLOW: a file swapped for a link after the check above is not followed.
                        let raw: [UInt8]
                        do {
                            guard let read = try VaultFiles.read(folder + "/" + path) else {
                                throw ExecutorError(.internalError, "\(folder)/\(path) vanished while copying")
                            }
                            raw = read
                        } catch let error as ExecutorError {
                            throw error
                        } catch {
                            throw fail("\(path) cannot be read without following a link: \(error)")
                        }
                        guard raw.count == size else { throw fail("\(path) changed while it was copied") }
                        let data = Data(raw)
                        guard
                            fm.createFile(
                                atPath: destination + "/" + path, contents: data, attributes: [.posixPermissions: mode])
                        else { throw ExecutorError(.internalError, "cannot write the copy of \(path)") }
                    case .typeSymbolicLink?:
                        throw fail("\(path) is a symbolic link (packages may not contain links)")
                    default:
                        throw fail("\(path) is not a regular file or a directory")
                    }
                }
            }
        } catch let error as ExecutorError {
            throw error
        } catch {
            throw ExecutorError(.internalError, "cannot copy \(folder): \(error.localizedDescription)")
        }
    }
}
