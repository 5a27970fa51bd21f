import Crypto
import FoundationEssentials
import JSON

/// The contents of `omega.sig.json`: who signed which description of the package.
///
/// `{"algorithm": "ed25519", "keyId", "publicKey" (base64), "digest" (hex), "format", "manifestSHA256",
/// "files": [...], "signature" (base64)}`. The signature is Ed25519 over the canonical bytes of the
/// ``PackageDigest`` rebuilt from `format`, `manifestSHA256` and `files`; `digest` is their SHA-256.
public struct PackageSignature: Sendable, Hashable {
    /// Always `ed25519`.
    public var algorithm: String
    /// The signer's key id.
    public var keyId: String
    /// The signer's raw public key.
    public var publicKey: [UInt8]
    /// What was signed.
    public var signed: PackageDigest
    /// The package digest as recorded (hex).
    public var digest: String
    /// The raw 64-byte signature.
    public var signature: [UInt8]

    /// Signs `digest` with `key`.
    public init(signing digest: PackageDigest, with key: SigningKey) throws(PackageError) {
        algorithm = "ed25519"
        keyId = key.keyId
        publicKey = key.publicKey
        signed = digest
        self.digest = digest.digest
        signature = try key.sign(digest.canonicalBytes)
    }

    /// The `omega.sig.json` document.
    public var json: JSONValue {
        [
            "algorithm": .string(algorithm), "keyId": .string(keyId),
            "publicKey": .string(ByteEncoding.base64(publicKey)),
            "digest": .string(digest), "format": .string(PackageDigest.format),
            "manifestSHA256": .string(signed.manifestSHA256),
            "files": .array(signed.files.map(\.json)), "signature": .string(ByteEncoding.base64(signature)),
        ]
    }

    /// Whether the signature is a valid Ed25519 signature of the signed description by ``publicKey``,
    /// and ``digest`` is that description's hash.
    public var isValid: Bool {
        guard algorithm == "ed25519", keyId == PackageKeys.keyID(publicKey: publicKey), digest == signed.digest,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: signed.canonicalBytes)
    }

    /// Parses `omega.sig.json` text.
    ///
    /// - Throws: `PACKAGE_INVALID_SIGNATURE_FILE` naming the field at fault.
    public static func parse(_ text: String, file: String = PackageDigest.signatureFile) throws(PackageError)
        -> PackageSignature
    {
        func bad(_ what: String) -> PackageError { PackageError(.invalidSignatureFile, "\(file): \(what)", path: file) }
        let document: JSONValue
        do { document = try JSONParser().parse(text) } catch { throw bad("not valid JSON: \(error)") }
        guard case .object = document else { throw bad("expected a JSON object") }
        guard document["algorithm"]?.stringValue == "ed25519" else { throw bad("algorithm: expected \"ed25519\"") }
        guard document["format"]?.stringValue == PackageDigest.format else {
            throw bad("format: expected \"\(PackageDigest.format)\"")
        }
        guard let keyId = document["keyId"]?.stringValue else { throw bad("keyId: expected a string") }
        guard let pk = document["publicKey"]?.stringValue.flatMap(ByteEncoding.base64Decode), pk.count == 32 else {
            throw bad("publicKey: expected a base64 32-byte Ed25519 public key")
        }
        guard let digest = document["digest"]?.stringValue else { throw bad("digest: expected a hex string") }
        guard let manifestHash = document["manifestSHA256"]?.stringValue else {
            throw bad("manifestSHA256: expected a hex string")
        }
        guard let sig = document["signature"]?.stringValue.flatMap(ByteEncoding.base64Decode), sig.count == 64 else {
            throw bad("signature: expected a base64 64-byte Ed25519 signature")
        }
        guard case .array(let items) = document["files"] else { throw bad("files: expected an array") }
        var files: [PackageFile] = []
        for (i, item) in items.enumerated() {
            guard let file = PackageFile(json: item) else {
                throw bad("files[\(i)]: expected {path, sha256, size, executable}")
            }
            files.append(file)
        }
        return PackageSignature(
            algorithm: "ed25519", keyId: keyId, publicKey: pk,
            signed: PackageDigest(manifestSHA256: manifestHash, files: files),
            digest: digest, signature: sig)
    }

    init(
        algorithm: String, keyId: String, publicKey: [UInt8], signed: PackageDigest, digest: String, signature: [UInt8]
    ) {
        self.algorithm = algorithm
        self.keyId = keyId
        self.publicKey = publicKey
        self.signed = signed
        self.digest = digest
        self.signature = signature
    }
}
