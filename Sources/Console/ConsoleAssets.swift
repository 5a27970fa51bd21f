import Crypto
import Foundation

/// The web console's files (`Sources/Console/Web`): embedded in the binary as the build made them
/// (``ConsoleFiles``, written by `scripts/console-embed.sh`), or, for development only, read from a
/// folder on every request (`OMEGA_CONSOLE_DIR`), so an edit shows on reload without a rebuild.
///
/// Only flat names of lowercase letters, digits and `-` with the extension `.html`, `.js`, `.css` or
/// `.svg` are ever served; anything else (a `/`, `..`, another extension) is not found.
public struct ConsoleAssets: Sendable {
    /// Where the files come from.
    public enum Source: Sendable, Equatable {
        /// The files built into the binary.
        case embedded
        /// The files of a folder, read on every request (development).
        case directory(String)
    }

    /// One file to serve.
    public struct File: Sendable, Equatable {
        /// Its name (`console.js`).
        public let name: String
        /// Its `Content-Type`.
        public let contentType: String
        /// Its bytes.
        public let bytes: [UInt8]
        /// A strong validator: `"` + the first 32 hex digits of the bytes' SHA-256 + `"`.
        public let etag: String

        init(name: String, bytes: [UInt8]) {
            self.name = name
            self.contentType = ConsoleAssets.contentType(of: name) ?? "application/octet-stream"
            self.bytes = bytes
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            self.etag = "\"" + digest.prefix(32) + "\""
        }
    }

    /// The page every console path answers with.
    public static let pageName = "index.html"

    /// Where this console's files come from.
    public let source: Source
    private let embedded: [String: File]

    /// The console from `source`.
    public init(source: Source = .embedded) {
        self.source = source
        var files: [String: File] = [:]
        if source == .embedded {
            for (name, text) in ConsoleFiles.all where Self.isServable(name) {
                files[name] = File(name: name, bytes: Array(text.utf8))
            }
        }
        self.embedded = files
    }

    /// The console as the environment asks: `OMEGA_CONSOLE_DIR` (a folder, development) or embedded.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ConsoleAssets
    {
        if let folder = environment["OMEGA_CONSOLE_DIR"], !folder.isEmpty {
            return ConsoleAssets(source: .directory(folder))
        }
        return ConsoleAssets()
    }

    /// The names of the embedded files, sorted.
    public var embeddedNames: [String] { embedded.keys.sorted() }

    /// The file `name`, or nil when there is none or the name is not one the console serves.
    public func file(_ name: String) -> File? {
        guard Self.isServable(name) else { return nil }
        switch source {
        case .embedded:
            return embedded[name]
        case .directory(let folder):
            let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
            // A link is not followed: only regular files of the folder itself.
            guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey]),
                values.isRegularFile == true, values.isSymbolicLink != true,
                let data = FileManager.default.contents(atPath: url.path)
            else { return nil }
            return File(name: name, bytes: Array(data))
        }
    }

    /// Whether `name` is a flat name the console may serve: `[a-z0-9-]+` and a known extension.
    public static func isServable(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), contentType(of: name) != nil else { return false }
        let stem = name[..<dot]
        return !stem.isEmpty && stem.utf8.count <= 64
            && stem.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// The `Content-Type` of a console file by its extension; nil for one the console never serves.
    static func contentType(of name: String) -> String? {
        switch name.split(separator: ".").last.map(String.init) {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        default: return nil
        }
    }
}
