import Crypto
import FoundationEssentials
import JSON

/// An Ed25519 private key that signs packages. Its description never shows the key material.
public struct SigningKey: Sendable, CustomStringConvertible {
    private let raw: [UInt8]
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: raw) }

    /// A fresh random key.
    public init() {
        let key = Curve25519.Signing.PrivateKey()
        raw = Array(key.rawRepresentation)
        publicKey = Array(key.publicKey.rawRepresentation)
    }

    init(raw: [UInt8]) throws(PackageError) {
        guard raw.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw PackageError(.invalidKey, "the private key is not a 32-byte Ed25519 key")
        }
        self.raw = raw
        publicKey = Array(key.publicKey.rawRepresentation)
    }

    /// The key id: the first 16 hex digits of SHA-256 of the raw public key.
    public var keyId: String { PackageKeys.keyID(publicKey: publicKey) }

    /// An Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) throws(PackageError) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw PackageError(.invalidKey, "signing with key \(keyId) failed")
        }
    }

    /// `SigningKey(keyId: …)`: never the key itself.
    public var description: String { "SigningKey(keyId: \(keyId))" }

    var rawPrivateKey: [UInt8] { raw }

    /// Loads a private key file written by ``PackageKeys/keygen(privateKeyPath:publicKeyPath:)``.
    ///
    /// - Throws: `KEY_INVALID` when the file is malformed or readable by group or others (it must be
    ///   0600 or stricter); `IO_ERROR` when it cannot be read. Errors name the file, never its contents.
    public static func load(path: String) throws(PackageError) -> SigningKey {
        guard let info = try PackageFS.lstat(path), info.kind == .regular else {
            throw PackageError(
                .invalidKey, "\(path): no such private key file (omega-exec keygen writes one)", path: path)
        }
        if info.mode & 0o077 != 0 {
            throw PackageError(
                .invalidKey,
                "\(path): private key is accessible by group or others (mode \(String(info.mode, radix: 8))); run chmod 600",
                path: path)
        }
        let text = try PackageFS.readText(path, limit: 64 << 10)
        guard let document = try? JSONParser().parse(text), document["algorithm"]?.stringValue == "ed25519",
            let encoded = document["privateKey"]?.stringValue, let raw = ByteEncoding.base64Decode(encoded),
            raw.count == 32
        else {
            throw PackageError(
                .invalidKey,
                "\(path): expected {\"algorithm\":\"ed25519\",\"keyId\",\"privateKey\"} with a base64 32-byte key",
                path: path)
        }
        return try SigningKey(raw: raw)
    }
}

/// A public key allowed to publish packages (one entry of the trusted-keys file).
public struct TrustedKey: Sendable, Hashable {
    /// First 16 hex digits of SHA-256 of ``publicKey``.
    public var keyId: String
    /// The raw 32-byte Ed25519 public key.
    public var publicKey: [UInt8]
    /// Who holds the key.
    public var name: String

    /// A trusted key; `keyId` is derived from the public key.
    public init(publicKey: [UInt8], name: String) {
        self.publicKey = publicKey
        self.keyId = PackageKeys.keyID(publicKey: publicKey)
        self.name = name
    }

    /// `{"keyId", "publicKey" (base64), "name"}`.
    public var json: JSONValue {
        ["keyId": .string(keyId), "publicKey": .string(ByteEncoding.base64(publicKey)), "name": .string(name)]
    }
}

/// The trusted-keys file: a JSON array of `{keyId, publicKey, name}`. It decides who may publish.
public struct TrustedKeys: Sendable, Hashable {
    /// The file name of the list in the appliance's home (`<OMEGA_HOME>/trusted-keys.json`).
    public static let defaultFileName = "trusted-keys.json"

    /// The keys.
    public var keys: [TrustedKey]

    /// A set of keys.
    public init(_ keys: [TrustedKey] = []) { self.keys = keys }

    /// The trusted key with this id and public key, if any.
    public func key(id: String, publicKey: [UInt8]) -> TrustedKey? {
        keys.first { $0.keyId == id && $0.publicKey == publicKey }
    }

    /// Loads a trusted-keys file; a missing file is an empty list (nothing is trusted).
    ///
    /// - Throws: `PACKAGE_INVALID_CONFIGURATION` naming the file and entry when malformed (including
    ///   a `keyId` that does not match its public key).
    public static func load(path: String) throws(PackageError) -> TrustedKeys {
        guard try PackageFS.lstat(path) != nil else { return TrustedKeys() }
        let text = try PackageFS.readText(path, limit: 4 << 20)
        func bad(_ what: String) -> PackageError {
            PackageError(.invalidConfiguration, "\(path): \(what)", path: path)
        }
        let document: JSONValue
        do { document = try JSONParser().parse(text) } catch { throw bad("not valid JSON: \(error)") }
        guard case .array(let items) = document else { throw bad("expected a JSON array of {keyId, publicKey, name}") }
        var keys: [TrustedKey] = []
        for (i, item) in items.enumerated() {
            guard let encoded = item["publicKey"]?.stringValue, let raw = ByteEncoding.base64Decode(encoded),
                raw.count == 32
            else {
                throw bad("[\(i)].publicKey: expected a base64 32-byte Ed25519 public key")
            }
            let key = TrustedKey(publicKey: raw, name: item["name"]?.stringValue ?? "")
            if let id = item["keyId"] {
                guard id.stringValue == key.keyId else {
                    throw bad("[\(i)].keyId: expected \(key.keyId) (the id of its public key)")
                }
            }
            keys.append(key)
        }
        return TrustedKeys(keys)
    }

    /// Writes the list atomically (mode 0644).
    public func save(path: String) throws(PackageError) {
        let text = JSONValue.array(keys.map(\.json)).jsonText + "\n"
        try PackageFS.makeDirectories(PackageFS.parentDirectory(path))
        try PackageFS.writeAtomically(path, Array(text.utf8), mode: 0o644)
    }
}

/// Key generation and key ids.
public enum PackageKeys {
    /// The key id of a raw public key: the first 16 hex digits of its SHA-256.
    public static func keyID(publicKey: [UInt8]) -> String {
        String(ByteEncoding.hex(SHA256.hash(data: publicKey)).prefix(16))
    }

    /// The public half of a generated key.
    public struct PublicKeyInfo: Sendable, Hashable {
        /// The key id.
        public var keyId: String
        /// The raw public key.
        public var publicKey: [UInt8]
        /// Where the private key was written.
        public var privateKeyPath: String
        /// Where the public key was written.
        public var publicKeyPath: String
    }

    /// Generates an Ed25519 key pair.
    ///
    /// Writes `privateKeyPath` (`{"algorithm":"ed25519","keyId","privateKey"}`, mode 0600, created with
    /// `O_CREAT|O_EXCL|O_NOFOLLOW`) and `publicKeyPath` (default `<privateKeyPath>.pub`:
    /// `{"algorithm":"ed25519","keyId","publicKey","name"}`, mode 0644, which is also a valid
    /// trusted-keys entry). A missing parent directory is created with mode 0700. Never overwrites: an existing file of either name is `KEY_EXISTS` and
    /// nothing is written; when the public key cannot be written the private key is removed again.
    ///
    /// - Parameters:
    ///   - privateKeyPath: where the private key goes.
    ///   - publicKeyPath: where the public key goes (default `<privateKeyPath>.pub`).
    ///   - name: the holder's name recorded in the public key file.
    /// - Returns: the key id and public key.
    /// - Throws: `KEY_EXISTS` or `IO_ERROR`.
    @discardableResult
    public static func keygen(privateKeyPath: String, publicKeyPath: String? = nil, name: String = "")
        throws(PackageError) -> PublicKeyInfo
    {
        let publicPath = publicKeyPath ?? privateKeyPath + ".pub"
        for path in [privateKeyPath, publicPath] where try PackageFS.lstat(path) != nil {
            throw PackageError(.keyExists, "\(path) exists; keygen never overwrites a key", path: path)
        }
        let directory = PackageFS.parentDirectory(privateKeyPath)
        if PackageFS.statFollowing(directory) == nil { try PackageFS.makeDirectories(directory, mode: 0o700) }
        let key = SigningKey()
        let privateDocument: JSONValue = [
            "algorithm": "ed25519", "keyId": .string(key.keyId),
            "privateKey": .string(ByteEncoding.base64(key.rawPrivateKey)),
        ]
        let publicDocument: JSONValue = [
            "algorithm": "ed25519", "keyId": .string(key.keyId),
            "publicKey": .string(ByteEncoding.base64(key.publicKey)),
            "name": .string(name),
        ]
        do {
            try PackageFS.createExclusive(privateKeyPath, Array((privateDocument.jsonText + "\n").utf8), mode: 0o600)
        } catch  where error.errno == PackageFS.alreadyExists {
            throw PackageError(
                .keyExists, "\(privateKeyPath) exists; keygen never overwrites a key", path: privateKeyPath)
        }
        do {
            try PackageFS.createExclusive(publicPath, Array((publicDocument.jsonText + "\n").utf8), mode: 0o644)
        } catch {
            PackageFS.unlink(privateKeyPath)
            if error.errno == PackageFS.alreadyExists {
                throw PackageError(.keyExists, "\(publicPath) exists; keygen never overwrites a key", path: publicPath)
            }
            throw error
        }
        return PublicKeyInfo(
            keyId: key.keyId, publicKey: key.publicKey, privateKeyPath: privateKeyPath, publicKeyPath: publicPath)
    }

    /// Reads a public key file written by keygen (or a trusted-keys entry) as a ``TrustedKey``.
    public static func loadPublicKey(path: String) throws(PackageError) -> TrustedKey {
        let text = try PackageFS.readText(path, limit: 64 << 10)
        guard let document = try? JSONParser().parse(text), let encoded = document["publicKey"]?.stringValue,
            let raw = ByteEncoding.base64Decode(encoded), raw.count == 32
        else {
            throw PackageError(.invalidKey, "\(path): expected {\"publicKey\": base64 32-byte Ed25519 key}", path: path)
        }
        return TrustedKey(publicKey: raw, name: document["name"]?.stringValue ?? "")
    }
}
