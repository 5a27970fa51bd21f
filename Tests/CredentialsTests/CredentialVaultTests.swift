import Foundation
import Testing

@testable import Credentials

/// The vault keeps secrets encrypted at rest and never lets a value out except through `resolve`.
/// Serialized: one test sets OMEGA_VAULT_KEY, which is process-wide.
@Suite(.serialized) struct CredentialVaultTests {
    let secret = "sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "omega-vault-\(UUID().uuidString)"
        return path
    }

    @Test func twoVaultsOnOneFolderNeverLoseEachOthersWrites() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = Array(repeating: UInt8(3), count: 32)
        // Both opened before either writes, as two processes (serve's credential page, mcp) would be.
        let first = try CredentialVault(directory: dir, keySource: .key(key))
        let second = try CredentialVault(directory: dir, keySource: .key(key))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                let vault = index.isMultiple(of: 2) ? first : second
                group.addTask { try vault.set("NAME_\(index)", value: self.secret, scope: .user("u\(index)")) }
            }
            try await group.waitForAll()
        }
        let fresh = try CredentialVault(directory: dir, keySource: .key(key))
        #expect(fresh.entries.count == 16)
        #expect(try first.remove("NAME_1", scope: .user("u1")))
        #expect(try CredentialVault(directory: dir, keySource: .key(key)).entries.count == 15)
        #expect(fresh.value("NAME_0", scope: .user("u0")) == secret)
        #expect(fresh.resolve(["NAME_0"], toolID: "t", user: "u0") == ["NAME_0": secret])
        // The appliance's own secrets are never resolved for a tool run.
        try first.set("SYSTEM_ONLY", value: secret, scope: .system)
        #expect(first.resolve(["SYSTEM_ONLY"], toolID: "t", user: "u0").isEmpty)
        #expect(first.value("SYSTEM_ONLY", scope: .system) == secret)
    }

    @Test func valuesMadeOnFirstUseAreTheSameForEveryVaultAskingAtOnce() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = Array(repeating: UInt8(5), count: 32)
        let vaults = try (0..<4).map { _ in try CredentialVault(directory: dir, keySource: .key(key)) }
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<16 {
                let vault = vaults[index % vaults.count]
                group.addTask {
                    try vault.value("APPLIANCE_KEY", scope: .system) { "made-by-\(index)-" + UUID().uuidString }
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(values.count == 1)
        #expect(
            try CredentialVault(directory: dir, keySource: .key(key)).value("APPLIANCE_KEY", scope: .system)
                == values.first)
        #expect(throws: VaultError.self) { try vaults[0].value("not a name", scope: .system) { "x" } }
    }

    @Test func storedNamesSeeExactlyTheScopesARunWouldResolve() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = try CredentialVault(directory: dir)
        try vault.set("TOOL_KEY", value: secret, scope: .tool("web.fetch"))
        try vault.set("USER_KEY", value: secret, scope: .user("ana"))
        try vault.set("SHARED_KEY", value: secret, scope: .global)
        let names = ["TOOL_KEY", "USER_KEY", "SHARED_KEY", "ABSENT_KEY"]
        for (toolID, user, includeToolScope) in [
            ("web.fetch", "ana", true), ("web.fetch", "bob", true), ("other.tool", "ana", true),
            ("web.fetch", "ana", false), ("web.fetch", nil, true),
        ] as [(String, String?, Bool)] {
            let resolved = vault.resolve(names, toolID: toolID, user: user, includeToolScope: includeToolScope)
            #expect(
                vault.storedNames(names, toolID: toolID, user: user, includeToolScope: includeToolScope)
                    == Set(resolved.keys), "\(toolID) \(user ?? "-") \(includeToolScope)")
        }
        #expect(vault.storedNames(names, toolID: "other.tool", user: "bob") == ["SHARED_KEY"])
    }

    @Test func valuesRoundTripAndResolveNarrowestScopeFirst() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = try CredentialVault(directory: dir)
        try vault.set("API_KEY", value: "global-value", scope: .global)
        try vault.set("API_KEY", value: "user-value", scope: .user("ana"))
        try vault.set("API_KEY", value: "tool-value", scope: .tool("web.fetch"))
        try vault.set("OTHER", value: "other-value", scope: .global)
        #expect(
            vault.resolve(["API_KEY", "OTHER", "MISSING"], toolID: "web.fetch", user: "ana")
                == ["API_KEY": "tool-value", "OTHER": "other-value"])
        #expect(vault.resolve(["API_KEY"], toolID: "csv.x", user: "ana") == ["API_KEY": "user-value"])
        #expect(vault.resolve(["API_KEY"], toolID: "csv.x", user: nil) == ["API_KEY": "global-value"])
        // A second vault over the same files sees the same values.
        let reopened = try CredentialVault(directory: dir)
        #expect(reopened.resolve(["API_KEY"], toolID: "web.fetch", user: nil) == ["API_KEY": "tool-value"])
        #expect(try reopened.remove("API_KEY", scope: .tool("web.fetch")))
        #expect(!(try reopened.remove("API_KEY", scope: .tool("web.fetch"))))
        #expect(reopened.entries.map(\.name).sorted() == ["API_KEY", "API_KEY", "OTHER"])
    }

    @Test func secretsAreNotOnDiskInClearAndTheKeyFileIsPrivate() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = try CredentialVault(directory: dir)
        try vault.set("TOKEN", value: secret, scope: .global)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the secret in clear")
            #expect(bytes.range(of: Data("TOKEN".utf8)) == nil, "\(file) holds a name in clear")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/vault.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(
            (try FileManager.default.attributesOfItem(atPath: dir + "/vault.sealed")[.posixPermissions] as? Int)
                == 0o600)
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CredentialVault(directory: dir)
        chmod(dir + "/vault.key", 0o644)
        #expect(throws: VaultError.self) { try CredentialVault(directory: dir) }
        do { _ = try CredentialVault(directory: dir) } catch { #expect(error.code == .keyUnsafe) }
    }

    @Test func aWrongKeyOrATamperedVaultIsRefusedWithoutLeakingValues() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = try CredentialVault(directory: dir, keySource: .key(Array(repeating: 7, count: 32)))
        try vault.set("TOKEN", value: secret, scope: .global)
        do {
            _ = try CredentialVault(directory: dir, keySource: .key(Array(repeating: 8, count: 32)))
            Issue.record("opened with the wrong key")
        } catch {
            #expect(error.code == .corrupt)
            #expect(!error.description.contains(secret))
        }
        var sealed = try Data(contentsOf: URL(fileURLWithPath: dir + "/vault.sealed"))
        sealed[sealed.count / 2] ^= 0x01
        try sealed.write(to: URL(fileURLWithPath: dir + "/vault.sealed"))
        #expect(throws: VaultError.self) {
            try CredentialVault(directory: dir, keySource: .key(Array(repeating: 7, count: 32)))
        }
    }

    @Test(arguments: ["", "lower", "1ABC", "A-B", "A B", String(repeating: "A", count: 129)])
    func badNamesAreRefusedNamingTheField(_ name: String) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = try CredentialVault(directory: dir)
        do {
            try vault.set(name, value: "value-1234", scope: .global)
            Issue.record("accepted \(name)")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("name: expected an environment variable name"))
        }
    }

    @Test func aMalformedEnvironmentKeyIsRefused() throws {
        setenv("OMEGA_VAULT_KEY", "not-base64!", 1)
        defer { unsetenv("OMEGA_VAULT_KEY") }
        #expect(throws: VaultError(code: .keyInvalid, message: "OMEGA_VAULT_KEY: expected 32 bytes in base64")) {
            try CredentialVault(directory: temporaryDirectory())
        }
    }

    @Test func aKeyFromTheEnvironmentOpensTheVaultAndNoKeyFileIsWritten() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        setenv("OMEGA_VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1)  // bytes 0...31
        defer { unsetenv("OMEGA_VAULT_KEY") }
        try CredentialVault(directory: dir).set("TOKEN", value: "value-1234", scope: .global)
        #expect(!FileManager.default.fileExists(atPath: dir + "/vault.key"))
        let same = try CredentialVault(directory: dir, keySource: .key(Array(0...31)))
        #expect(same.resolve(["TOKEN"], toolID: "a.b", user: nil) == ["TOKEN": "value-1234"])
    }

    @Test func scopesParseTheirTextForm() {
        #expect(CredentialScope(parsing: "global") == .global)
        #expect(CredentialScope(parsing: "user:ana") == .user("ana"))
        #expect(CredentialScope(parsing: "tool:web.fetch") == .tool("web.fetch"))
        #expect(CredentialScope(parsing: "tool:") == nil)
        #expect(CredentialScope(parsing: "team:x") == nil)
    }
}

/// Secrets never reach logs, events or errors.
@Suite struct RedactorTests {
    @Test func secretValuesAndTheirEncodingsAreRedacted() {
        let redactor = Redactor(secrets: ["WEBHOOK_SECRET": "s3cr3t/value+x", "SHORT": "abc"])
        let text = "raw s3cr3t/value+x b64 czNjcjN0L3ZhbHVlK3g= url s3cr3t%2Fvalue%2Bx short abc"
        let redacted = redactor.redact(text)
        #expect(
            redacted
                == "raw [REDACTED:WEBHOOK_SECRET] b64 [REDACTED:WEBHOOK_SECRET] url [REDACTED:WEBHOOK_SECRET] short abc"
        )
        #expect(!redactor.containsSecret(redacted))
        #expect(redactor.containsSecret(text))
    }

    @Test func aSecretSpelledLowercaseIntoAHostNameIsRedacted() {
        // The egress proxy records host names lowercased; a tool may put its key in one.
        let redactor = Redactor(secrets: ["API_KEY": "AbCd1234XyZ"])
        #expect(redactor.redact("abcd1234xyz.evil.example") == "[REDACTED:API_KEY].evil.example")
        #expect(redactor.redact(json: ["host": "abcd1234xyz.evil.example"]) == ["host": "[REDACTED:API_KEY].evil.example"])
    }

    @Test(arguments: [
        ("key sk-proj-abcdefghijklmnopqrstuvwxyz012345 end", "openai-key"),
        ("token ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ end", "github-token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github-token"),
        ("aws AKIAIOSFODNN7EXAMPLE end", "aws-access-key"),
        ("slack xoxb-1234567890-abcdefghij end", "slack-token"),
        ("stripe sk_live_abcdefghijklmnop1234 end", "stripe-key"),
        ("google AIzaSyA-abcdefghijklmnopqrstuvwxyz012345 end", "google-api-key"),
        ("Authorization: Bearer abcdefghijklmnop.qrstuvwx end", "bearer-token"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----", "private-key"),
    ])
    func wellKnownCredentialFormatsAreRedacted(_ text: String, _ kind: String) {
        let redacted = Redactor().redact(text)
        #expect(redacted.contains("[REDACTED:\(kind)]"), "\(redacted)")
        #expect(!Redactor().containsSecret(redacted), "\(redacted)")
    }

    @Test func ordinaryTextIsLeftAlone() {
        let text = "sk-short and the skeleton key; AKIA; Bearer token; eyJ alone; hello world"
        #expect(Redactor().redact(text) == text)
    }
}
