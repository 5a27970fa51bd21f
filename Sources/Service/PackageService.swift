import JSON
import ToolPackage
import ToolRuntime

/// Packages as surfaces use them: lint, pack, verify, install, yank and keygen, with the home's
/// trusted keys, yank list and packages folder. Errors are ``PackageError`` values with their own
/// stable codes (`PACKAGE_*`, `ARCHIVE_*`); `isOperational` tells I/O trouble from a refusal.
public struct PackageService: Sendable {
    /// The home whose packages, keys and yank list are used.
    public let home: OmegaHome

    /// The service over `home`.
    public init(home: OmegaHome = OmegaHome()) { self.home = home }

    /// The trusted keys: `path`, else the home's `trusted-keys.json`.
    public func trustedKeys(_ path: String?) throws(PackageError) -> TrustedKeys {
        try TrustedKeys.load(path: path ?? home.trustedKeysPath)
    }

    /// Lints a folder or archive.
    public func lint(_ package: String) throws(PackageError) -> LintReport { try Linter().lint(package) }

    /// Lints `folder` (any error refuses) and packs it into `output`, signed with the key at `signingKey`.
    ///
    /// - Parameter onLint: Sees the lint report before anything is built (so its findings show even
    ///   when the key or the build then fails).
    /// - Returns: The lint report and, when it had no errors, the build result.
    public func pack(
        folder: String, displayName: String, output: String, signingKey: String?,
        onLint: (LintReport) -> Void = { _ in }
    ) throws(PackageError) -> (report: LintReport, result: PackageBuilder.Result?) {
        let report = Linter().lint(folder: folder, displayName: displayName)
        onLint(report)
        guard !report.hasErrors else { return (report, nil) }
        let key = try signingKey.map { (path) throws(PackageError) in try SigningKey.load(path: path) }
        return (report, try PackageBuilder().build(folder: folder, output: output, signingKey: key))
    }

    /// Verifies a package against the trusted keys.
    public func verify(_ package: String, trustedKeys path: String?) throws(PackageError)
        -> PackageVerifier.Verification
    {
        try PackageVerifier(trustedKeys: trustedKeys(path)).verify(package)
    }

    /// Verifies, lints and installs a package into the home's packages folder, atomically; with
    /// `expected`, only that package (digest, id, version), checked before anything is moved into place.
    public func install(
        _ package: String, trustedKeys path: String?, allowUnsigned: Bool, force: Bool,
        expected: PackageInstaller.Expectation? = nil
    ) throws(PackageError) -> PackageInstaller.Installation {
        let installer = PackageInstaller(
            packagesDirectory: home.packagesDirectory, trustedKeys: try trustedKeys(path),
            yankList: try YankList.load(path: home.yankListPath))
        return try installer.install(
            package, options: .init(allowUnsigned: allowUnsigned, force: force, expected: expected))
    }

    /// Records `id@version` as yanked with `reason` in the home's yank list.
    public func yank(id: String, version: String, reason: String) throws(PackageError) {
        var list = try YankList.load(path: home.yankListPath)
        try list.yank(id: id, version: version, reason: reason)
        try list.save(path: home.yankListPath)
    }

    /// Writes a new signing key pair (`path` and `path.pub`; default `<home>/keys/signing.key`).
    public func keygen(path: String?, name: String) throws(PackageError) -> PackageKeys.PublicKeyInfo {
        try PackageKeys.keygen(privateKeyPath: path ?? home.root + "/keys/signing.key", name: name)
    }
}
