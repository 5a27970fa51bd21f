import JSON
/// Why a package operation (pack, verify, extract, install, keys, yank) failed.
///
/// `code` is stable and machine-readable; `message` is for people and names the file or entry at
/// fault. Messages never contain key material.
public struct PackageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error code (extensible: new codes may be added, existing ones never change).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The wire form (`PACKAGE_TAMPERED_FILE`).
        public var rawValue: String
        /// A code from its wire form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The wire form.
        public var description: String { rawValue }

        // Verification
        /// The package has no `omega.sig.json` (and unsigned packages are not allowed).
        public static let unsigned = Code(rawValue: "PACKAGE_UNSIGNED")
        /// The signing key is not in the trusted-keys file.
        public static let unknownKey = Code(rawValue: "PACKAGE_UNKNOWN_KEY")
        /// The signature does not verify (forged or edited signature file).
        public static let badSignature = Code(rawValue: "PACKAGE_BAD_SIGNATURE")
        /// `omega.sig.json` is not a well-formed signature document.
        public static let invalidSignatureFile = Code(rawValue: "PACKAGE_INVALID_SIGNATURE_FILE")
        /// A signed file's contents or executable bit changed.
        public static let tamperedFile = Code(rawValue: "PACKAGE_TAMPERED_FILE")
        /// The manifest changed after signing.
        public static let manifestTampered = Code(rawValue: "PACKAGE_MANIFEST_TAMPERED")
        /// A file that was not signed is present.
        public static let fileAdded = Code(rawValue: "PACKAGE_FILE_ADDED")
        /// A signed file is missing.
        public static let fileRemoved = Code(rawValue: "PACKAGE_FILE_REMOVED")

        // Extraction
        /// An archive entry with an absolute path.
        public static let absolutePath = Code(rawValue: "ARCHIVE_ABSOLUTE_PATH")
        /// An archive entry with a `..` component.
        public static let pathTraversal = Code(rawValue: "ARCHIVE_PATH_TRAVERSAL")
        /// A symbolic link (in an archive or a package folder).
        public static let symlink = Code(rawValue: "ARCHIVE_SYMLINK")
        /// A hard link entry.
        public static let hardlink = Code(rawValue: "ARCHIVE_HARDLINK")
        /// A device, FIFO or socket entry (or any non-regular, non-directory file).
        public static let specialFile = Code(rawValue: "ARCHIVE_SPECIAL_FILE")
        /// An entry with setuid, setgid or sticky bits.
        public static let privilegedMode = Code(rawValue: "ARCHIVE_PRIVILEGED_MODE")
        /// A path longer than the limit, or otherwise unusable (NUL, empty, not UTF-8).
        public static let badPath = Code(rawValue: "ARCHIVE_BAD_PATH")
        /// Two entries with the same path.
        public static let duplicateEntry = Code(rawValue: "ARCHIVE_DUPLICATE_ENTRY")
        /// More entries than the file-count limit.
        public static let tooManyFiles = Code(rawValue: "ARCHIVE_TOO_MANY_FILES")
        /// A file or the whole archive larger than the size limit.
        public static let tooLarge = Code(rawValue: "ARCHIVE_TOO_LARGE")
        /// The data expands more than the compression-ratio limit allows (decompression bomb).
        public static let compressionRatio = Code(rawValue: "ARCHIVE_COMPRESSION_RATIO")
        /// libarchive could not read the archive (corrupt, truncated, not a tar.gz).
        public static let archive = Code(rawValue: "ARCHIVE_ERROR")

        // Packages, keys, install
        /// `omega.json` is missing or invalid.
        public static let invalidManifest = Code(rawValue: "INVALID_MANIFEST")
        /// The linter found errors.
        public static let lintFailed = Code(rawValue: "PACKAGE_LINT_FAILED")
        /// The same id and version is already installed (and `force` was not given).
        public static let alreadyInstalled = Code(rawValue: "PACKAGE_ALREADY_INSTALLED")
        /// The id and version is on the yank list.
        public static let yanked = Code(rawValue: "PACKAGE_YANKED")
        /// The package is not the one expected (another digest, id or version than a registry entry
        /// published for it).
        public static let digestMismatch = Code(rawValue: "PACKAGE_DIGEST_MISMATCH")
        /// A key file exists already (keygen never overwrites).
        public static let keyExists = Code(rawValue: "KEY_EXISTS")
        /// A key file is malformed or has unsafe permissions.
        public static let invalidKey = Code(rawValue: "KEY_INVALID")
        /// The trusted-keys or yank file is malformed.
        public static let invalidConfiguration = Code(rawValue: "PACKAGE_INVALID_CONFIGURATION")
        /// A file system operation failed (see `errno`).
        public static let io = Code(rawValue: "IO_ERROR")
    }

    /// The stable code.
    public var code: Code
    /// What went wrong, naming the file, entry or field.
    public var message: String
    /// The file or entry at fault, when there is one.
    public var path: String?
    /// The underlying errno, for `IO_ERROR`.
    public var errno: Int32?

    /// An error.
    public init(_ code: Code, _ message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }

    /// Whether this is an operational failure (unreadable file, I/O, unreadable archive) rather than
    /// a refusal of the package. The CLI exits 2 for these and 1 for refusals.
    public var isOperational: Bool { code == .io || code == .archive || code == .invalidConfiguration }
}
