import Foundation
import JSON
import TestSupport
import Testing

/// `omega-exec keys create|list|revoke`, run through the built binary like a user would.
@Suite(.serialized) struct KeysCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], home: String) throws -> Run {
        let binary = try #require(OmegaCLI.binary, "omega-exec not built")
        let result = try HostProcess.run([binary] + arguments, environment: ["OMEGA_HOME": home], timeout: 60)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// How many times `needle` occurs in `text`.
    func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func createShowsTheSecretOnceAndListNeverShowsIt() throws {
        let root = Fixture.directory("cli-keys")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let created = try run(["keys", "create", "--name", "ci bot"], home: home)
        #expect(created.status == 0, "\(created)")
        let secret = try #require(
            created.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("omx_") }, "\(created)")
        #expect(secret.count == 64)
        #expect(occurrences(of: secret, in: created.stdout + created.stderr) == 1)
        #expect(created.stderr.contains("shown only now"))
        let id = "key_" + secret.dropFirst(4).prefix(16)
        #expect(created.stdout.contains(id) && created.stdout.contains("local"))

        let json = try run(["keys", "create", "--name", "deploy", "--user", "alice", "--json"], home: home)
        #expect(json.status == 0, "\(json)")
        let object = try JSONParser().parse(json.stdout)
        #expect(object["name"]?.stringValue == "deploy" && object["user"]?.stringValue == "alice")
        let secondSecret = try #require(object["secret"]?.stringValue)
        #expect(secondSecret.hasPrefix("omx_") && object["id"]?.stringValue?.hasPrefix("key_") == true)
        #expect(json.stderr.contains("shown only now"))

        for arguments in [["keys", "list"], ["keys", "list", "--json"]] {
            let listed = try run(arguments, home: home)
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.stdout.contains(id) && listed.stdout.contains("ci bot") && listed.stdout.contains("deploy"))
            for text in [secret, secondSecret, String(secret.dropFirst(21)), String(secondSecret.dropFirst(21))] {
                #expect(!listed.stdout.contains(text) && !listed.stderr.contains(text))
            }
            #expect(!listed.stdout.contains("omx_") && !listed.stdout.lowercased().contains("sha256"))
        }
        let keys = try JSONParser().parse(try run(["keys", "list", "--json"], home: home).stdout).arrayValue ?? []
        #expect(keys.count == 2)
        #expect(keys.first?["id"]?.stringValue == id && keys.first?["revoked"] == .bool(false))
        #expect(
            Set(keys.first?.objectValue?.keys.map { $0 } ?? []) == [
                "id", "name", "user", "createdAt", "lastUsedAt", "revokedAt", "revoked",
            ])
    }

    @Test func revokeThenListShowsTheKeyRevoked() throws {
        let root = Fixture.directory("cli-keys-revoke")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let created = try JSONParser().parse(try run(["keys", "create", "--name", "old", "--json"], home: home).stdout)
        let id = try #require(created["id"]?.stringValue)

        let revoked = try run(["keys", "revoke", id], home: home)
        #expect(revoked.status == 0, "\(revoked)")
        #expect(revoked.stdout.contains("revoked \(id)"))
        let again = try run(["keys", "revoke", id], home: home)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("already revoked"))

        let listed = try JSONParser().parse(try run(["keys", "list", "--json"], home: home).stdout).arrayValue ?? []
        #expect(listed.count == 1)
        #expect(listed.first?["revoked"] == .bool(true))
        #expect(listed.first?["revokedAt"]?.doubleValue != nil)
        let text = try run(["keys", "list"], home: home)
        #expect(text.stdout.contains(id) && text.stdout.contains("revoked"))

        let unknown = try run(["keys", "revoke", "key_0123456789abcdef"], home: home)
        #expect(unknown.status == 65, "\(unknown)")
        #expect(try JSONParser().parse(unknown.stdout)["details"]?["field"]?.stringValue == "id")
    }

    @Test func aBadNameOrUserExits65NamingTheField() throws {
        let root = Fixture.directory("cli-keys-bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        for (arguments, field) in [
            (["keys", "create", "--name", "bad/name"], "name"),
            (["keys", "create", "--name", String(repeating: "n", count: 65)], "name"),
            (["keys", "create", "--name", "fine", "--user", "Not A User"], "user"),
        ] {
            let result = try run(arguments, home: home)
            #expect(result.status == 65, "\(result)")
            let error = try JSONParser().parse(result.stdout)
            #expect(error["details"]?["code"]?.stringValue == "INVALID_INPUT")
            #expect(error["details"]?["field"]?.stringValue == field, "\(result)")
            #expect(!result.stdout.contains("omx_"))
        }
        #expect(try run(["keys", "create", "--name", "taken"], home: home).status == 0)
        let taken = try run(["keys", "create", "--name", "taken"], home: home)
        #expect(taken.status == 65)
        #expect(try JSONParser().parse(taken.stdout)["details"]?["field"]?.stringValue == "name")
        #expect(try run(["keys", "list"], home: home).stdout.split(separator: "\n").count == 1)
    }
}
