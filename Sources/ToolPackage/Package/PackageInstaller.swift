/// Installs packages into `<packages>/<id>/<version>/`, atomically.
///
/// The package is extracted (or, for a folder, copied) into a fresh staging directory
/// `<packages>/.staging-XXXXXX` on the same file system, then verified, decoded, checked against the
/// yank list and linted there; only when everything passes is it moved into place with one
/// `rename(2)`. Any failure removes the staging directory, so `<packages>/<id>/<version>` either is
/// the complete verified package or does not exist (a forced reinstall moves the old version aside
/// first and deletes it only after the new one is in place).
public struct PackageInstaller: Sendable {
    /// Where packages are installed (`<OMEGA_HOME>/packages`).
    public var packagesDirectory: String
    /// Keys allowed to publish.
    public var trustedKeys: TrustedKeys
    /// Versions that must not be installed.
    public var yankList: YankList
    /// Extraction limits.
    public var limits: ExtractionLimits

    /// An installer.
    public init(
        packagesDirectory: String, trustedKeys: TrustedKeys, yankList: YankList = YankList(),
        limits: ExtractionLimits = .init()
    ) {
        self.packagesDirectory = packagesDirectory
        self.trustedKeys = trustedKeys
        self.yankList = yankList
        self.limits = limits
    }

    /// Install policy.
    public struct Options: Sendable, Hashable {
        /// Accept a package without a signature (policy flag; default false).
        public var allowUnsigned = false
        /// Replace an installed copy of the same version (default false: refused).
        public var force = false
        /// The package that must be installed (an install from a registry entry): checked on the staged
        /// copy, before anything under `<packages>` changes; nil for any package.
        public var expected: Expectation?

        /// Options.
        public init(allowUnsigned: Bool = false, force: Bool = false, expected: Expectation? = nil) {
            self.allowUnsigned = allowUnsigned
            self.force = force
            self.expected = expected
        }
    }

    /// The package an install must find: its digest (``PackageDigest/digest``, hex), id and version.
    public struct Expectation: Sendable, Hashable {
        /// The package digest, 64 lowercase hex digits (without `sha256:`).
        public var digest: String
        /// The tool id its manifest must have.
        public var id: String
        /// The version its manifest must have.
        public var version: SemanticVersion

        /// An expectation.
        public init(digest: String, id: String, version: SemanticVersion) {
            self.digest = digest
            self.id = id
            self.version = version
        }
    }

    /// What was installed.
    public struct Installation: Sendable, Hashable {
        /// The decoded manifest.
        public var manifest: ToolManifest
        /// `<packages>/<id>/<version>`.
        public var path: String
        /// The verification (digest and signer).
        public var verification: PackageVerifier.Verification
        /// Lint warnings (errors refuse the install).
        public var warnings: [LintIssue]
        /// Whether an installed copy was replaced (`force`).
        public var replaced: Bool
    }

    /// Installs `package` (a `.tar.gz` or a folder).
    ///
    /// - Throws: extraction and verification errors, `INVALID_MANIFEST`, `PACKAGE_YANKED`,
    ///   `PACKAGE_LINT_FAILED`, `PACKAGE_ALREADY_INSTALLED`, `IO_ERROR`. Nothing is left behind.
    public func install(_ package: String, options: Options = Options()) throws(PackageError) -> Installation {
        guard let info = try PackageFS.lstat(package) else {
            throw PackageError(.io, "\(package): no such file or directory", path: package)
        }
        try PackageFS.makeDirectories(packagesDirectory)
        let staging = try PackageFS.makeTemporaryDirectory(in: packagesDirectory, prefix: ".staging-")
        defer { PackageFS.removeTree(staging) }
        let unpacked = staging + "/package"
        if info.kind == .directory {
            try PackageFolderCopy.copy(folder: package, to: unpacked, limits: limits)
        } else {
            try PackageExtractor(limits: limits).extract(archive: package, into: unpacked)
        }

        let verifier = PackageVerifier(trustedKeys: trustedKeys, allowUnsigned: options.allowUnsigned, limits: limits)
        let verification = try verifier.verify(folder: unpacked)

        let manifest: ToolManifest
        do {
            manifest = try ToolManifest.decode(
                text: try PackageFS.readText(unpacked + "/" + ToolManifest.fileName, limit: 4 << 20))
        } catch let error as ManifestError {
            throw PackageError(
                .invalidManifest, error.issues.map(\.description).joined(separator: "; "), path: ToolManifest.fileName)
        } catch let error as PackageError {
            throw error
        } catch {
            throw PackageError(.io, "\(error)")
        }
        let version = manifest.version.description
        // Checked on the staged copy, which nobody else can change: a source swapped after the caller
        // checked it, or a published digest that belongs to another tool, never reaches `<packages>`.
        if let expected = options.expected {
            guard verification.digest.digest == expected.digest else {
                throw PackageError(
                    .digestMismatch,
                    "\(package) has digest sha256:\(verification.digest.digest), expected sha256:\(expected.digest)",
                    path: package)
            }
            guard manifest.id == expected.id, manifest.version == expected.version else {
                throw PackageError(
                    .digestMismatch,
                    "\(package) is \(manifest.id)@\(version), expected \(expected.id)@\(expected.version)",
                    path: package)
            }
        }
        if let reason = yankList.isYanked(id: manifest.id, version: version) {
            throw PackageError(.yanked, "\(manifest.id)@\(version) was yanked: \(reason)", path: package)
        }
        let report = Linter(limits: limits).lint(folder: unpacked, displayName: package)
        if report.hasErrors {
            let first = report.errors.prefix(5).map { "[\($0.code)] \($0.path): \($0.message)" }.joined(separator: "; ")
            throw PackageError(.lintFailed, "\(report.errors.count) lint error(s): \(first)", path: package)
        }

        let idDirectory = packagesDirectory + "/" + manifest.id
        let target = idDirectory + "/" + version
        try PackageFS.makeDirectories(idDirectory)
        var replaced = false
        if try PackageFS.lstat(target) != nil {
            guard options.force else {
                throw PackageError(
                    .alreadyInstalled,
                    "\(manifest.id)@\(version) is already installed at \(target) (use --force to replace it)",
                    path: target)
            }
            try PackageFS.rename(target, staging + "/previous")
            replaced = true
        }
        do {
            try PackageFS.rename(unpacked, target)
        } catch {
            if replaced { try? PackageFS.rename(staging + "/previous", target) }
            throw error
        }
        return Installation(
            manifest: manifest, path: target, verification: verification, warnings: report.warnings, replaced: replaced)
    }
}
