import Foundation
import ToolPackage

/// A byte string whose `memcmp` order is semver precedence, so SQL can order versions
/// (`ORDER BY version_key DESC`) and equal-precedence versions (`1.0.0+a`, `1.0.0+b`) share a key.
///
/// Layout: MAJOR, MINOR and PATCH each as a length byte and their minimal big-endian bytes (a longer
/// number is a larger one); then `02` for a release, or `01` followed by each prerelease identifier
/// (`01` + 8 big-endian bytes for a numeric one, `02` + its ASCII bytes + `00` for an alphanumeric one)
/// and a closing `00`. So a release ranks above its prereleases, numeric identifiers below
/// alphanumeric ones, and a shorter identifier list below a longer one that extends it.
enum VersionKey {
    static func of(_ version: SemanticVersion) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for part in [version.major, version.minor, version.patch] { appendNumber(part, to: &bytes) }
        if version.prerelease.isEmpty {
            bytes.append(0x02)
        } else {
            bytes.append(0x01)
            for identifier in version.prerelease {
                switch identifier {
                case .numeric(let n):
                    bytes.append(0x01)
                    withUnsafeBytes(of: n.bigEndian) { bytes.append(contentsOf: $0) }
                case .alphanumeric(let s):
                    bytes.append(0x02)
                    bytes.append(contentsOf: s.utf8)
                    bytes.append(0x00)
                }
            }
            bytes.append(0x00)
        }
        return Data(bytes)
    }

    /// The version a key encodes (build metadata is not in keys), or nil when `key` is not one.
    static func version(from key: UnsafeBufferPointer<UInt8>) -> SemanticVersion? {
        var index = 0
        func number() -> UInt64? {
            guard index < key.count else { return nil }
            let length = Int(key[index])
            index += 1
            guard length <= 8, index + length <= key.count else { return nil }
            var n: UInt64 = 0
            for _ in 0..<length {
                n = n << 8 | UInt64(key[index])
                index += 1
            }
            return n
        }
        guard let major = number(), let minor = number(), let patch = number(), index < key.count else { return nil }
        let marker = key[index]
        index += 1
        if marker == 0x02 { return index == key.count ? SemanticVersion(major, minor, patch) : nil }
        guard marker == 0x01 else { return nil }
        var prerelease: [SemanticVersion.PrereleaseIdentifier] = []
        while index < key.count {
            let kind = key[index]
            index += 1
            switch kind {
            case 0x00:
                return index == key.count ? SemanticVersion(major, minor, patch, prerelease: prerelease) : nil
            case 0x01:
                guard index + 8 <= key.count else { return nil }
                var n: UInt64 = 0
                for _ in 0..<8 {
                    n = n << 8 | UInt64(key[index])
                    index += 1
                }
                prerelease.append(.numeric(n))
            case 0x02:
                let start = index
                while index < key.count, key[index] != 0x00 { index += 1 }
                guard index < key.count else { return nil }
                prerelease.append(
                    .alphanumeric(String(decoding: UnsafeBufferPointer(rebasing: key[start..<index]), as: UTF8.self)))
                index += 1
            default:
                return nil
            }
        }
        return nil
    }

    private static func appendNumber(_ n: UInt64, to bytes: inout [UInt8]) {
        let length = (64 - n.leadingZeroBitCount + 7) / 8
        bytes.append(UInt8(length))
        for i in stride(from: length - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: n >> (8 * i))) }
    }
}
