/// Checks that a package is exactly what a trusted key signed.
///
/// Order of checks, each with its own code: no `omega.sig.json` → `PACKAGE_UNSIGNED` (unless
/// ``allowUnsigned``); malformed signature file → `PACKAGE_INVALID_SIGNATURE_FILE`; key not in the
/// trusted keys → `PACKAGE_UNKNOWN_KEY`; signature or recorded digest not matching the signed
/// description → `PACKAGE_BAD_SIGNATURE`; then the signed description is compared with the files
/// present: manifest changed → `PACKAGE_MANIFEST_TAMPERED`, a file changed → `PACKAGE_TAMPERED_FILE`,
/// a signed file missing → `PACKAGE_FILE_REMOVED`, an unsigned file present → `PACKAGE_FILE_ADDED`
/// (each naming the files).
public struct PackageVerifier: Sendable {
    /// Keys allowed to publish.
    public var trustedKeys: TrustedKeys
    /// Whether a package without a signature passes (its digest is still computed).
    public var allowUnsigned: Bool
    /// Limits for extracting archives and scanning folders.
    public var limits: ExtractionLimits

    /// A verifier.
    public init(trustedKeys: TrustedKeys, allowUnsigned: Bool = false, limits: ExtractionLimits = .init()) {
        self.trustedKeys = trustedKeys
        self.allowUnsigned = allowUnsigned
        self.limits = limits
    }

    /// A verified package.
    public struct Verification: Sendable, Hashable {
        /// The description of the files present (equal to the signed one when signed).
        public var digest: PackageDigest
        /// The trusted key that signed it, nil when unsigned (and allowed).
        public var signer: TrustedKey?
        /// Whether the package carried a valid trusted signature.
        public var isSigned: Bool { signer != nil }
    }

    /// Verifies a package folder or `.tar.gz` (extracted safely into a temporary directory that is
    /// removed afterwards).
    ///
    /// - Throws: a ``PackageError`` with one of the codes above, or an extraction/IO error.
    public func verify(_ package: String) throws(PackageError) -> Verification {
        guard let info = try PackageFS.lstat(package) else {
            throw PackageError(.io, "\(package): no such file or directory", path: package)
        }
        if info.kind == .directory { return try verify(folder: package) }
        let temp = try PackageFS.makeTemporaryDirectory(in: PackageFS.temporaryDirectory, prefix: "omega-verify-")
        defer { PackageFS.removeTree(temp) }
        try PackageExtractor(limits: limits).extract(archive: package, into: temp + "/package")
        return try verify(folder: temp + "/package")
    }

    /// Verifies an extracted package folder.
    public func verify(folder: String) throws(PackageError) -> Verification {
        let files = try PackageContents.scan(folder: folder, limits: limits)
        var manifestProblem: PackageError?
        var manifestHash = ""
        do {
            manifestHash = PackageDigest.manifestHash(try PackageContents.readManifestDocument(folder: folder))
        } catch {
            manifestProblem = error
        }
        let actual = PackageDigest(manifestSHA256: manifestHash, files: files)
        let signaturePath = folder + "/" + PackageDigest.signatureFile
        guard let sigInfo = try PackageFS.lstat(signaturePath) else {
            if let manifestProblem { throw manifestProblem }
            if allowUnsigned { return Verification(digest: actual, signer: nil) }
            throw PackageError(
                .unsigned, "\(folder): the package is not signed (no \(PackageDigest.signatureFile))", path: folder)
        }
        guard sigInfo.kind == .regular else {
            throw PackageError(
                .invalidSignatureFile, "\(PackageDigest.signatureFile): not a regular file", path: signaturePath)
        }
        let signature = try PackageSignature.parse(try PackageFS.readText(signaturePath, limit: 16 << 20))
        guard let signer = trustedKeys.key(id: signature.keyId, publicKey: signature.publicKey) else {
            throw PackageError(
                .unknownKey,
                "signed by key \(signature.keyId), which is not a trusted key (add it to the trusted-keys file to accept it)",
                path: signaturePath)
        }
        guard signature.isValid else {
            throw PackageError(
                .badSignature,
                "the signature in \(PackageDigest.signatureFile) does not verify with key \(signature.keyId) (forged or edited)",
                path: signaturePath)
        }
        let signed = signature.signed
        let signedFiles = Dictionary(signed.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let actualFiles = Dictionary(actual.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        if let manifestProblem {
            throw PackageError(
                .manifestTampered,
                "\(PackageDigest.manifestFile) changed after it was signed: \(manifestProblem.message)",
                path: PackageDigest.manifestFile)
        }
        if signed.manifestSHA256 != actual.manifestSHA256
            || signedFiles[PackageDigest.manifestFile] != actualFiles[PackageDigest.manifestFile]
        {
            throw PackageError(
                .manifestTampered, "\(PackageDigest.manifestFile) changed after it was signed",
                path: PackageDigest.manifestFile)
        }
        let changed = signed.files.filter { f in actualFiles[f.path].map { $0 != f } ?? false }.map(\.path)
        if !changed.isEmpty {
            throw PackageError(
                .tamperedFile, "changed after signing: \(changed.joined(separator: ", "))", path: changed[0])
        }
        let removed = signed.files.filter { actualFiles[$0.path] == nil }.map(\.path)
        if !removed.isEmpty {
            throw PackageError(.fileRemoved, "signed but missing: \(removed.joined(separator: ", "))", path: removed[0])
        }
        let added = actual.files.filter { signedFiles[$0.path] == nil }.map(\.path)
        if !added.isEmpty {
            throw PackageError(
                .fileAdded, "not covered by the signature: \(added.joined(separator: ", "))", path: added[0])
        }
        return Verification(digest: actual, signer: signer)
    }
}
