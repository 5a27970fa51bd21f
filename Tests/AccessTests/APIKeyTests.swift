import Foundation
import TestSupport
import Testing

@testable import Access

/// API keys: created once with a secret that is never stored, authenticated in constant time, and
/// refused, every way, with the one `UNAUTHORIZED` error.
@Suite struct APIKeyTests {
    /// A fresh store in its own directory (removed by `cleanup`).
    func makeStore(_ label: String = "access") throws -> (store: AccessStore, directory: String) {
        let directory = Fixture.directory(label)
        return (try AccessStore(path: directory + "/access.sqlite"), directory)
    }

    /// `secret` with the character at `offset` replaced by `replacement`.
    func replacing(_ secret: String, at offset: Int, with replacement: Character) -> String {
        var characters = Array(secret)
        characters[offset] = replacement
        return String(characters)
    }

    @Test func createdKeyAuthenticatesWithItsSecretAndActsForItsUser() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (key, secret) = try store.createKey(name: "ci bot", user: "alice", nowMs: 1_000)
        #expect(key.id.hasPrefix("key_") && key.id.count == 20 && APIKey.isValidID(key.id))
        #expect(key.name == "ci bot" && key.user == "alice" && key.createdAtMs == 1_000)
        #expect(key.lastUsedAtMs == nil && !key.isRevoked)
        #expect(secret.count == 64)
        #expect(secret.hasPrefix("omx_" + key.id.dropFirst(4) + "_"))
        #expect(
            secret.dropFirst(21).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })

        let authenticated = try store.authenticate(bearer: secret, nowMs: 2_000)
        #expect(authenticated.id == key.id && authenticated.user == "alice" && authenticated.name == "ci bot")
        #expect(authenticated.lastUsedAtMs == 2_000)
        #expect(try store.keys() == [authenticated])

        let defaulted = try store.createKey(name: "laptop")
        #expect(defaulted.key.user == APIKey.defaultUser && defaulted.key.user == "local")
        #expect(defaulted.key.id != key.id && defaulted.secret != secret)
        #expect(try store.authenticate(bearer: defaulted.secret, nowMs: 3_000).id == defaulted.key.id)
    }

    @Test func everyAuthenticationFailureIsTheSameUnauthorizedError() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, secret) = try store.createKey(name: "first")
        let (other, otherSecret) = try store.createKey(name: "second")
        let (revoked, revokedSecret) = try store.createKey(name: "gone")
        #expect(try store.revokeKey(id: revoked.id))

        let idHex = String(secret.dropFirst(4).prefix(16))
        let otherIDHex = String(other.id.dropFirst(4))
        let random = String(secret.dropFirst(21))
        let lastCharacter = secret.last!
        let tokens: [(String, String)] = [
            ("wrong secret for a real id", "omx_\(idHex)_" + String(otherSecret.dropFirst(21))),
            ("this secret under another key's id", "omx_\(otherIDHex)_\(random)"),
            ("unknown id", "omx_0123456789abcdef_\(random)"),
            ("revoked key", revokedSecret),
            ("empty", ""),
            ("Bearer scheme left over", "Bearer " + secret),
            ("lowercase scheme left over", "bearer " + secret),
            ("leading space", " " + secret),
            ("trailing newline", secret + "\n"),
            ("10 KB", String(repeating: "A", count: 10_240)),
            ("10 KB starting with the secret", secret + String(repeating: "A", count: 10_240)),
            ("NUL inside", replacing(secret, at: 40, with: "\u{0}")),
            ("escape inside", replacing(secret, at: 30, with: "\u{1B}")),
            ("DEL at the end", replacing(secret, at: 63, with: "\u{7F}")),
            ("wrong prefix", "omy_" + secret.dropFirst(4)),
            ("uppercase prefix", "OMX_" + secret.dropFirst(4)),
            ("uppercase id hex", "omx_\(idHex.uppercased())_\(random)"),
            ("missing separator", replacing(secret, at: 20, with: "x")),
            ("truncated", String(secret.dropLast())),
            ("truncated to the id", String(secret.prefix(21))),
            ("one character longer", secret + "A"),
            ("last character altered", replacing(secret, at: 63, with: lastCharacter == "A" ? "B" : "A")),
            (
                "first secret character altered",
                replacing(
                    secret, at: 21, with: secret[secret.index(secret.startIndex, offsetBy: 21)] == "A" ? "B" : "A")
            ),
            ("standard base64 character", replacing(secret, at: 50, with: "+")),
            ("padding", replacing(secret, at: 63, with: "=")),
            ("non-ASCII", replacing(secret, at: 40, with: "é")),
        ]
        for (label, token) in tokens {
            #expect(throws: AccessError.unauthorized, "\(label)") {
                try store.authenticate(bearer: token, nowMs: 5_000)
            }
        }
        #expect(AccessError.unauthorized.code == .unauthorized)
        #expect(AccessError.unauthorized.message == "invalid or revoked API key")
        #expect(AccessError.unauthorized.field == nil)
        // The real secret still works: none of the attempts changed anything.
        #expect(try store.authenticate(bearer: secret, nowMs: 6_000).name == "first")
    }

    @Test func theDatabaseFilesNeverHoldTheSecret() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var created: [(id: String, secret: String)] = []
        for index in 0..<5 {
            let (key, secret) = try store.createKey(name: "key \(index)")
            _ = try store.authenticate(bearer: secret, nowMs: AccessStore.currentTimeMs())
            created.append((key.id, secret))
        }
        _ = try store.revokeKey(id: created[0].id)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasPrefix("access.sqlite")
        }
        #expect(files.contains("access.sqlite"))
        let bytes = files.map { FileManager.default.contents(atPath: directory + "/" + $0) ?? Data() }
        let all = bytes.reduce(Data(), +)
        for (id, secret) in created {
            // The ids are there (these are the files the rows live in)…
            #expect(all.range(of: Data(id.utf8)) != nil, "\(id) not found: wrong files searched")
            // …but neither the secret nor its random part, nor any long piece of it.
            #expect(all.range(of: Data(secret.utf8)) == nil)
            #expect(all.range(of: Data(secret.dropFirst(21).utf8)) == nil)
            #expect(all.range(of: Data(secret.dropFirst(21).prefix(12).utf8)) == nil)
        }
        let permissions = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func lastUseIsWrittenAtMostOncePerMinute() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (key, secret) = try store.createKey(name: "busy", nowMs: 0)
        #expect(try store.authenticate(bearer: secret, nowMs: 1_000).lastUsedAtMs == 1_000)
        #expect(try store.authenticate(bearer: secret, nowMs: 30_000).lastUsedAtMs == 1_000)
        #expect(try store.authenticate(bearer: secret, nowMs: 60_999).lastUsedAtMs == 1_000)
        #expect(try store.key(id: key.id)?.lastUsedAtMs == 1_000)
        #expect(try store.authenticate(bearer: secret, nowMs: 61_000).lastUsedAtMs == 61_000)
        #expect(try store.key(id: key.id)?.lastUsedAtMs == 61_000)
    }

    @Test func badNamesAndUsersNameTheirField() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in [
            "", String(repeating: "n", count: 65), "a/b", "tab\there", "new\nline", "ünïcode", " padded",
            "padded ", "semi;colon", "quote\"",
        ] {
            do {
                _ = try store.createKey(name: name)
                Issue.record("name \(name) was accepted")
            } catch {
                #expect(error.code == .invalidInput && error.field == "name", "\(name)")
            }
        }
        for user in ["", "Alice", "a b", "a/b", String(repeating: "u", count: 65), "ü", "a\u{0}"] {
            do {
                _ = try store.createKey(name: "fine", user: user)
                Issue.record("user \(user) was accepted")
            } catch {
                #expect(error.code == .invalidInput && error.field == "user", "\(user)")
            }
        }
        #expect(try store.keys().isEmpty)
        #expect(try store.createKey(name: String(repeating: "n", count: 64), user: "a.b_c-1").key.user == "a.b_c-1")
        #expect(try store.createKey(name: "Mixed.Case_name - 2").key.name == "Mixed.Case_name - 2")
    }

    @Test func aNameIsUniqueAmongUnrevokedKeysOnly() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (first, _) = try store.createKey(name: "deploy")
        do {
            _ = try store.createKey(name: "deploy", user: "bob")
            Issue.record("a second unrevoked key named deploy was created")
        } catch {
            #expect(error.code == .invalidInput && error.field == "name")
        }
        #expect(try store.revokeKey(id: first.id))
        let (second, secret) = try store.createKey(name: "deploy")
        #expect(second.id != first.id)
        #expect(try store.authenticate(bearer: secret, nowMs: 1).id == second.id)
    }

    @Test func revokingTwiceReturnsFalseAndUnknownIDsNameTheirField() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (key, secret) = try store.createKey(name: "short-lived", nowMs: 10)
        let (kept, _) = try store.createKey(name: "kept", nowMs: 20)
        #expect(try store.revokeKey(id: key.id, nowMs: 100) == true)
        #expect(try store.revokeKey(id: key.id, nowMs: 200) == false)
        #expect(throws: AccessError.unauthorized) { try store.authenticate(bearer: secret, nowMs: 300) }
        let keys = try store.keys()
        #expect(keys.map(\.id) == [key.id, kept.id])
        #expect(keys[0].isRevoked && keys[0].revokedAtMs == 100)
        #expect(!keys[1].isRevoked)
        for id in ["key_0123456789abcdef", "key_0123", "KEY_0123456789ABCDEF", "", "key_0123456789abcdef\n"] {
            do {
                _ = try store.revokeKey(id: id)
                Issue.record("\(id) was revoked")
            } catch {
                #expect(error.code == .invalidInput && error.field == "id", "\(id)")
            }
        }
    }

    @Test func keysSurviveReopeningAndASecondStoreSeesRevocationsAtOnce() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (key, secret) = try store.createKey(name: "shared")
        let second = try AccessStore(path: store.path)
        #expect(try second.authenticate(bearer: secret, nowMs: 1).id == key.id)
        #expect(try store.revokeKey(id: key.id))
        #expect(throws: AccessError.unauthorized) { try second.authenticate(bearer: secret, nowMs: 2) }
        #expect(try AccessStore(path: store.path).keys().map(\.id) == [key.id])
    }

    @Test func anUnopenableStoreIsAnInternalError() throws {
        let directory = Fixture.directory("access-missing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try AccessStore(path: directory + "/no/such/dir/access.sqlite")
            Issue.record("opened a store in a missing directory")
        } catch {
            #expect(error.code == .internalError)
        }
    }
}
