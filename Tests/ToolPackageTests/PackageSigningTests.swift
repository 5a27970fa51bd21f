import Foundation
import JSON
import Testing
import TestSupport

@testable import ToolPackage

/// Signing, verification and installation of packages.
@Suite struct PackageSigningTests {
    typealias S = PackageTestSupport

    struct Setup {
        let dir: String
        let folder: String
        let key: SigningKey
        let trusted: TrustedKeys
        let archive: String
    }

    func signedPackage() throws -> Setup {
        let dir = S.temporaryDirectory()
        let folder = S.copyFixture(into: dir)
        try PackageKeys.keygen(privateKeyPath: dir + "/key", name: "tester")
        let key = try SigningKey.load(path: dir + "/key")
        let trusted = TrustedKeys([TrustedKey(publicKey: key.publicKey, name: "tester")])
        try PackageBuilder().build(folder: folder, output: dir + "/echo.tar.gz", signingKey: key)
        return Setup(dir: dir, folder: folder, key: key, trusted: trusted, archive: dir + "/echo.tar.gz")
    }

    /// The signed archive extracted into `<dir>/x` for tampering.
    func extracted(_ s: Setup) throws -> String {
        try PackageExtractor().extract(archive: s.archive, into: s.dir + "/x")
        return s.dir + "/x"
    }

    @Test func aSignedPackageVerifiesAsArchiveAndAsFolder() throws {
        let s = try signedPackage()
        let result = try PackageVerifier(trustedKeys: s.trusted).verify(s.archive)
        #expect(result.signer?.keyId == s.key.keyId)
        #expect(result.digest.files.map(\.path) == ["main.py", "omega.json"])
        let folder = try PackageVerifier(trustedKeys: s.trusted).verify(try extracted(s))
        #expect(folder.digest == result.digest)
    }

    @Test func packingIsDeterministic() throws {
        let s = try signedPackage()
        try PackageBuilder().build(folder: s.folder, output: s.dir + "/again.tar.gz", signingKey: s.key)
        let a = try Data(contentsOf: URL(fileURLWithPath: s.archive))
        let b = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/again.tar.gz"))
        #expect(a == b)
    }

    @Test func theDigestCoversManifestHashAndSortedFiles() throws {
        let s = try signedPackage()
        let digest = try PackageDigest.compute(folder: s.folder)
        let text = digest.document.canonicalText
        #expect(text.hasPrefix(#"{"files":[{"executable":false,"path":"main.py","sha256":""#))
        #expect(text.contains(#""format":"omega-package/1","manifestSHA256":""#))
        #expect(digest.digest.count == 64)
    }

    @Test func aForgedSignatureIsRefused() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        let sigPath = x + "/omega.sig.json"
        var sig = try PackageSignature.parse(try String(contentsOfFile: sigPath, encoding: .utf8))
        // Signed by another key, but claiming the trusted key.
        sig.signature = try SigningKey().sign(sig.signed.canonicalBytes)
        S.write(sig.json.jsonText, to: sigPath)
        S.expectCode(.badSignature) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
    }

    @Test func anEditedSignedFileListIsABadSignature() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        S.write("print('evil')\n", to: x + "/main.py")
        let sigPath = x + "/omega.sig.json"
        var sig = try PackageSignature.parse(try String(contentsOfFile: sigPath, encoding: .utf8))
        sig.signed = try PackageDigest.compute(folder: x)  // claims the new hashes, old signature
        sig.digest = sig.signed.digest
        S.write(sig.json.jsonText, to: sigPath)
        S.expectCode(.badSignature) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
    }

    @Test func aTamperedFileIsRefusedAndNamed() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        S.write("print('evil')\n", to: x + "/main.py")
        let error = S.expectCode(.tamperedFile) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
        #expect(error?.path == "main.py")
        #expect(error?.message.contains("main.py") == true)
    }

    @Test func aChangedExecutableBitIsTampering() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        chmod(x + "/main.py", 0o755)
        S.expectCode(.tamperedFile) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
    }

    @Test func aTamperedManifestIsRefused() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        let text = try String(contentsOfFile: x + "/omega.json", encoding: .utf8)
        S.write(text.replacingOccurrences(of: "\"readOnly\": true", with: "\"readOnly\": false"), to: x + "/omega.json")
        S.expectCode(.manifestTampered) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
        // Whitespace only: the canonical manifest is the same, but the file's bytes are signed too.
        S.write(text + "\n\n", to: x + "/omega.json")
        S.expectCode(.manifestTampered) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
    }

    @Test func anAddedFileIsRefused() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        try FileManager.default.createDirectory(atPath: x + "/lib", withIntermediateDirectories: true)
        S.write("x", to: x + "/lib/extra.py")
        let error = S.expectCode(.fileAdded) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
        #expect(error?.path == "lib/extra.py")
    }

    @Test func aRemovedFileIsRefused() throws {
        let s = try signedPackage()
        let x = try extracted(s)
        try FileManager.default.removeItem(atPath: x + "/main.py")
        let error = S.expectCode(.fileRemoved) { try PackageVerifier(trustedKeys: s.trusted).verify(folder: x) }
        #expect(error?.path == "main.py")
    }

    @Test func anUntrustedKeyIsRefused() throws {
        let s = try signedPackage()
        let other = TrustedKeys([TrustedKey(publicKey: SigningKey().publicKey, name: "someone else")])
        let error = S.expectCode(.unknownKey) { try PackageVerifier(trustedKeys: other).verify(s.archive) }
        #expect(error?.message.contains(s.key.keyId) == true)
        S.expectCode(.unknownKey) { try PackageVerifier(trustedKeys: TrustedKeys()).verify(s.archive) }
    }

    @Test func unsignedPackagesAreRefusedUnlessAllowed() throws {
        let dir = S.temporaryDirectory()
        let folder = S.copyFixture(into: dir)
        try PackageBuilder().build(folder: folder, output: dir + "/u.tar.gz")
        S.expectCode(.unsigned) { try PackageVerifier(trustedKeys: TrustedKeys()).verify(dir + "/u.tar.gz") }
        let allowed = try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(dir + "/u.tar.gz")
        #expect(!allowed.isSigned)

        let installer = PackageInstaller(packagesDirectory: dir + "/packages", trustedKeys: TrustedKeys())
        S.expectCode(.unsigned) { try installer.install(dir + "/u.tar.gz") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/packages").isEmpty)
        let done = try installer.install(dir + "/u.tar.gz", options: .init(allowUnsigned: true))
        #expect(done.path == dir + "/packages/demo.echo/1.0.0")
        #expect(FileManager.default.fileExists(atPath: done.path + "/main.py"))
    }

    @Test func installIsAtomicRefusesReinstallAndHonoursForceAndYanks() throws {
        let s = try signedPackage()
        let packages = s.dir + "/packages"
        var installer = PackageInstaller(packagesDirectory: packages, trustedKeys: s.trusted)
        let first = try installer.install(s.archive)
        #expect(first.verification.signer?.name == "tester")
        #expect(!first.replaced)
        S.expectCode(.alreadyInstalled) { try installer.install(s.archive) }
        let again = try installer.install(s.archive, options: .init(force: true))
        #expect(again.replaced)
        #expect(try FileManager.default.contentsOfDirectory(atPath: packages) == ["demo.echo"])  // no staging left

        var yanks = YankList()
        try yanks.yank(id: "demo.echo", version: "1.0.0", reason: "leaks tokens", date: "2025-01-01T00:00:00Z")
        installer.yankList = yanks
        let error = S.expectCode(.yanked) { try installer.install(s.archive, options: .init(force: true)) }
        #expect(error?.message.contains("leaks tokens") == true)

        // A tampered package leaves nothing behind.
        let x = try extracted(s)
        S.write("print('evil')\n", to: x + "/main.py")
        let fresh = PackageInstaller(packagesDirectory: s.dir + "/fresh", trustedKeys: s.trusted)
        S.expectCode(.tamperedFile) { try fresh.install(x) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/fresh").isEmpty)
    }

    @Test func aForcedInstallOfAPackageOtherThanTheExpectedOneKeepsTheInstalledCopy() throws {
        let s = try signedPackage()
        let packages = s.dir + "/packages"
        let installer = PackageInstaller(packagesDirectory: packages, trustedKeys: s.trusted)
        let first = try installer.install(s.archive)
        let digest = first.verification.digest.digest
        let version = first.manifest.version
        // Another digest, or the right one under another id or version: refused before anything moves.
        for expected in [
            PackageInstaller.Expectation(digest: String(repeating: "0", count: 64), id: "demo.echo", version: version),
            PackageInstaller.Expectation(digest: digest, id: "other.tool", version: version),
            PackageInstaller.Expectation(digest: digest, id: "demo.echo", version: SemanticVersion(9, 0, 0)),
        ] {
            S.expectCode(.digestMismatch) { try installer.install(s.archive, options: .init(force: true, expected: expected)) }
            #expect(try PackageVerifier(trustedKeys: s.trusted).verify(first.path).digest.digest == digest)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: packages) == ["demo.echo"])  // no staging left
        let again = try installer.install(
            s.archive, options: .init(force: true, expected: .init(digest: digest, id: "demo.echo", version: version)))
        #expect(again.replaced)
    }

    @Test func theYankListRoundTripsAndMatchesBySemver() throws {
        let dir = S.temporaryDirectory()
        var list = try YankList.load(path: dir + "/yanked.json")
        #expect(list.entries.isEmpty)
        try list.yank(id: "web.fetch", version: "1.2.0", reason: "broken")
        try list.save(path: dir + "/yanked.json")
        let loaded = try YankList.load(path: dir + "/yanked.json")
        #expect(loaded.isYanked(id: "web.fetch", version: "1.2.0") == "broken")
        #expect(loaded.isYanked(id: "web.fetch", version: "1.2.0+build.7") == "broken")
        #expect(loaded.isYanked(id: "web.fetch", version: "1.2.1") == nil)
        #expect(loaded.entries[0].date.hasSuffix("Z"))
        #expect(throws: PackageError.self) { try list.yank(id: "Bad", version: "1.0.0", reason: "") }
    }

    @Test func keygenWritesAPrivateFile0600AndNeverOverwrites() throws {
        let dir = S.temporaryDirectory()
        let info = try PackageKeys.keygen(privateKeyPath: dir + "/k")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/k")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(info.keyId.count == 16)
        #expect(info.keyId == PackageKeys.keyID(publicKey: info.publicKey))
        let before = try String(contentsOfFile: dir + "/k", encoding: .utf8)
        let error = S.expectCode(.keyExists) { try PackageKeys.keygen(privateKeyPath: dir + "/k") }
        #expect(try String(contentsOfFile: dir + "/k", encoding: .utf8) == before)
        // The public key file is a trusted-keys entry; no message or description shows the secret.
        let key = try SigningKey.load(path: dir + "/k")
        let secret = ByteEncoding.base64(key.rawPrivateKey)
        #expect(!"\(key)".contains(secret) && !"\(error!)".contains(secret))
        #expect(try PackageKeys.loadPublicKey(path: dir + "/k.pub").keyId == info.keyId)
    }

    @Test func aPrivateKeyReadableByOthersIsRefused() throws {
        let dir = S.temporaryDirectory()
        try PackageKeys.keygen(privateKeyPath: dir + "/k")
        chmod(dir + "/k", 0o644)
        let error = S.expectCode(.invalidKey) { try SigningKey.load(path: dir + "/k") }
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test func trustedKeysFilesRoundTripAndRejectMismatchedIds() throws {
        let dir = S.temporaryDirectory()
        let key = SigningKey()
        try TrustedKeys([TrustedKey(publicKey: key.publicKey, name: "ci")]).save(path: dir + "/trusted.json")
        let loaded = try TrustedKeys.load(path: dir + "/trusted.json")
        #expect(loaded.key(id: key.keyId, publicKey: key.publicKey)?.name == "ci")
        S.write(
            #"[{"keyId":"0000000000000000","publicKey":"\#(ByteEncoding.base64(key.publicKey))","name":"x"}]"#,
            to: dir + "/bad.json")
        S.expectCode(.invalidConfiguration) { try TrustedKeys.load(path: dir + "/bad.json") }
        #expect(try TrustedKeys.load(path: dir + "/missing.json").keys.isEmpty)
    }

    @Test func packingRefusesSymlinksInTheFolderAndOutputInsideIt() throws {
        let dir = S.temporaryDirectory()
        let folder = S.copyFixture(into: dir)
        S.expectCode(.io) { try PackageBuilder().build(folder: folder, output: folder + "/self.tar.gz") }
        try FileManager.default.createSymbolicLink(atPath: folder + "/passwd", withDestinationPath: "/etc/passwd")
        S.expectCode(.symlink) { try PackageBuilder().build(folder: folder, output: dir + "/x.tar.gz") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.tar.gz"))
    }

    @Test func base64RoundTripsAndRejectsNonCanonicalText() {
        for n in 0..<10 {
            let bytes = (0..<n).map { UInt8($0 * 37 & 255) }
            #expect(ByteEncoding.base64Decode(ByteEncoding.base64(bytes)) == bytes)
            #expect(ByteEncoding.base64(bytes) == Data(bytes).base64EncodedString())
        }
        #expect(ByteEncoding.base64Decode("abc") == nil)
        #expect(ByteEncoding.base64Decode("ab=c") == nil)
    }
}
