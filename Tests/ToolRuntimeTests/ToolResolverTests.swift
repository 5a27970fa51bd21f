import Foundation
import Testing
import TestSupport

@testable import JSON
@testable import ToolPackage
@testable import ToolRuntime

/// The resolver finds exactly the package a call names and refuses anything forged, tampered with,
/// yanked, changed since it was recorded, or named so as to escape the packages directory.
@Suite struct ToolResolverTests {
    let root: String
    let home: OmegaHome

    init() throws {
        root = NSTemporaryDirectory() + "omega-resolver-\(UUID().uuidString)"
        home = OmegaHome(root: root + "/home")
        try home.prepare()
    }

    /// A minimal valid package folder for `id@version`.
    func package(_ id: String = "test.echo", version: String = "1.0.0", at path: String? = nil) throws -> String {
        let folder = path ?? root + "/src-\(id)-\(version)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let manifest: JSONValue = [
            "schemaVersion": 1, "id": .string(id), "version": .string(version), "title": "Echo",
            "description": "Prints its input.", "keywords": ["test"],
            "input": ["type": "object"], "output": ["type": "object"], "env": [], "scopes": [],
            "risk": ["level": "low", "externalWrite": false, "readOnly": true],
            "execution": ["binding": "sandbox_job", "command": ["/bin/cat"]],
            "limits": ["timeoutSeconds": 10, "memoryMB": 64, "pids": 8, "outputBytes": 65536],
            "examples": [["name": "basic", "input": [:], "output": [:]]],
        ]
        try manifest.jsonText.write(toFile: folder + "/omega.json", atomically: true, encoding: .utf8)
        try "#!/bin/sh\ncat\n".write(toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        return folder
    }

    func expectError(_ code: OmegaError.Code, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code.rawValue), got success")
        } catch let error as OmegaError {
            #expect(error.code == code, "\(error)")
        } catch {
            Issue.record("expected \(code.rawValue), got \(error)")
        }
    }

    @Test func aFolderResolvesWithItsDigestAndTheSameDigestEachTime() throws {
        let folder = try package()
        let first = try ToolResolver(home: home).resolve(folder)
        let second = try ToolResolver(home: home).resolve(folder, expectedDigest: first.packageDigest)
        #expect(first.manifest.id == "test.echo")
        #expect(first.reference == folder)
        #expect(first.packageDigest.count == 64 && first.packageDigest == second.packageDigest)
    }

    @Test func aPackageChangedSinceItWasRecordedIsRefused() throws {
        let folder = try package()
        let recorded = try ToolResolver(home: home).resolve(folder).packageDigest
        try "#!/bin/sh\necho pwned\n".write(toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        expectError(.toolNotFound) { _ = try ToolResolver(home: home).resolve(folder, expectedDigest: recorded) }
    }

    @Test func aTamperedSignedPackageIsRefused() throws {
        let key = SigningKey()
        let keys: JSONValue = [
            ["keyId": .string(key.keyId), "publicKey": .string(ByteEncoding.base64(key.publicKey)), "name": "test"]
        ]
        try keys.jsonText.write(toFile: home.trustedKeysPath, atomically: true, encoding: .utf8)
        let source = try package()
        let archive = root + "/signed.tar.gz"
        _ = try PackageBuilder().build(folder: source, output: archive, signingKey: key)
        // The archive resolves (and verifies); a copy with one changed file does not.
        #expect(try ToolResolver(home: home).resolve(archive).signer == key.keyId)
        let unpacked = root + "/unpacked"
        try PackageExtractor().extract(archive: archive, into: unpacked)
        #expect(try ToolResolver(home: home).resolve(unpacked).signer == key.keyId)
        try "#!/bin/sh\necho tampered\n".write(toFile: unpacked + "/run.sh", atomically: true, encoding: .utf8)
        expectError(.invalidManifest) { _ = try ToolResolver(home: home).resolve(unpacked) }
    }

    @Test(arguments: [
        "../../../etc", "test.echo@../../../etc", "test.echo@1.0.0/../../x", "Test.Echo", "/nonexistent/package",
        "test.echo@not-a-version", "missing.tool", "",
    ])
    func namesThatEscapeOrDoNotExistAreNotFound(_ name: String) throws {
        _ = try PackageInstaller(
            packagesDirectory: home.packagesDirectory, trustedKeys: TrustedKeys(), yankList: YankList()
        ).install(try package(), options: .init(allowUnsigned: true))
        expectError(.toolNotFound) { _ = try ToolResolver(home: home).resolve(name) }
    }

    @Test func anInstalledIdResolvesToItsHighestVersionThatIsNotYanked() throws {
        let installer = PackageInstaller(
            packagesDirectory: home.packagesDirectory, trustedKeys: TrustedKeys(), yankList: YankList())
        for version in ["1.0.0", "1.2.0", "1.10.0"] {
            _ = try installer.install(try package(version: version), options: .init(allowUnsigned: true))
        }
        #expect(try ToolResolver(home: home).resolve("test.echo").reference == "test.echo@1.10.0")
        var yanks = YankList()
        try yanks.yank(id: "test.echo", version: "1.10.0", reason: "broken")
        try yanks.save(path: home.yankListPath)
        #expect(try ToolResolver(home: home).resolve("test.echo").reference == "test.echo@1.2.0")
        // Named exactly, a yanked version is unavailable, not silently replaced.
        do {
            _ = try ToolResolver(home: home).resolve("test.echo@1.10.0")
            Issue.record("a yanked version resolved")
        } catch {
            #expect(error.code == .toolUnavailable)
            #expect(error.details["reason"] == "yanked")
        }
    }

    @Test func pathsAreRefusedWhenOnlyInstalledToolsMayBeNamed() throws {
        let folder = try package()
        expectError(.toolNotFound) { _ = try ToolResolver(home: home, allowPaths: false).resolve(folder) }
    }

    @Test func aHostileArchiveIsRefusedAndLeavesNoScratch() throws {
        // A tar of a valid package whose one extra entry climbs out of the destination: only the
        // traversal can make it fail, and it must fail for exactly that reason.
        let archive = root + "/evil.tar"
        let staging = try package()
        try "pwned".write(toFile: staging + "/escape.txt", atomically: true, encoding: .utf8)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = [
            "-cf", archive, "-C", staging, "--transform", "s,^escape,../../escape,", "omega.json", "run.sh",
            "escape.txt",
        ]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        do {
            _ = try ToolResolver(home: home).resolve(archive)
            Issue.record("an archive with a ../ entry resolved")
        } catch {
            #expect(error.code == .invalidManifest)
            #expect(error.details["packageCode"] == "ARCHIVE_PATH_TRAVERSAL", "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: home.root + "/escape.txt"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: home.scratchDirectory)
        #expect(leftovers.isEmpty, "scratch left behind: \(leftovers)")
    }
}
