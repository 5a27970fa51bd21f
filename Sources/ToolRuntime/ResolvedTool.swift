import Foundation
import ToolPackage

/// A tool found and checked, ready to run: its manifest and the package folder the jail mounts at
/// `/tool`. For an archive the folder is a private unpacked copy, removed by ``release()``.
public final class ResolvedTool: Sendable {
    /// The decoded manifest.
    public let manifest: ToolManifest
    /// The package folder on the host.
    public let directory: String
    /// How to name exactly this tool again: an absolute folder or archive path, or `id@version`.
    public let reference: String
    /// SHA-256 of the package's description (what `omega-exec verify` prints).
    public let packageDigest: String
    /// The key id that signed it, nil when unsigned.
    public let signer: String?
    /// Whether it is an installed package (its id was checked at install time).
    public var isInstalled: Bool { !reference.hasPrefix("/") }
    private let temporary: String?

    init(
        manifest: ToolManifest, directory: String, reference: String, packageDigest: String, signer: String?,
        temporary: String?
    ) {
        self.manifest = manifest
        self.directory = directory
        self.reference = reference
        self.packageDigest = packageDigest
        self.signer = signer
        self.temporary = temporary
    }

    /// Removes the unpacked copy of an archive (nothing for folders and installed packages).
    public func release() {
        if let temporary { PackageFolderCopy.remove(temporary) }
    }

    deinit { release() }
}
