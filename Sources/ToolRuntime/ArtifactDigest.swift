import Crypto
import Foundation
import JSON
import ToolPackage

/// SHA-256 of artifact contents.
enum ArtifactDigest {
    /// Lowercase hex SHA-256 of `data`.
    static func sha256(_ data: Data) -> String { ByteEncoding.hex(SHA256.hash(data: data)) }
}
