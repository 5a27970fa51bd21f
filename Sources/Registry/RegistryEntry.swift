import JSON
import ToolPackage

/// One version of one tool the registry knows: described by an index file, installed, or shipped as a
/// starter tool (DESIGN §8).
///
/// An entry is identified by (``id``, ``version``, ``origin``); versions equal by semver precedence
/// (`1.0.0+a` and `1.0.0+b`) are the same version. Decode an index line with
/// ``decode(line:)``; make one from a package with ``init(manifest:origin:package:)``.
public struct RegistryEntry: Sendable, Hashable {
    /// Where an entry came from. When several origins hold the same id and version, the higher
    /// ``precedence`` wins: installed over starter over index.
    public enum Origin: String, Sendable, Hashable, CaseIterable, Comparable {
        /// Imported from an index file: described, not installed.
        case index
        /// An installed package.
        case installed
        /// A starter tool shipped with the appliance.
        case starter

        /// 0 for `index`, 1 for `starter`, 2 for `installed`: the order in which origins win.
        public var precedence: Int {
            switch self {
            case .index: return 0
            case .starter: return 1
            case .installed: return 2
            }
        }

        /// The origin of a ``precedence`` value.
        init?(precedence: Int) {
            switch precedence {
            case 0: self = .index
            case 1: self = .starter
            case 2: self = .installed
            default: return nil
            }
        }

        /// Orders by ``precedence`` (the winner is the greatest).
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.precedence < rhs.precedence }
    }

    /// Where the package of a tool can be fetched, and the digest it must have.
    public struct PackageReference: Sendable, Hashable {
        /// A URL or path, as the publisher wrote it (non-empty, at most 2048 bytes).
        public var source: String
        /// `sha256:` followed by 64 lowercase hex digits.
        public var digest: String

        /// A reference.
        public init(source: String, digest: String) {
            self.source = source
            self.digest = digest
        }

        /// Whether `digest` is `sha256:` followed by 64 lowercase hex digits.
        public static func isValidDigest(_ digest: String) -> Bool {
            let bytes = Array(digest.utf8)
            guard bytes.count == 71, digest.hasPrefix("sha256:") else { return false }
            return bytes[7...].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        }
    }

    /// The bindings an entry may name (DESIGN §3).
    public static let bindings = ["sandbox_job", "inproc_safe", "mcp_remote", "openapi_proxy"]

    /// The tool id (``ToolManifest/isValidID(_:)``).
    public var id: String
    /// The version.
    public var version: SemanticVersion
    /// A short human title.
    public var title: String?
    /// What the tool does (non-empty).
    public var description: String
    /// Search keywords (unique, in the publisher's order).
    public var keywords: [String]
    /// The JSON Schema of the input (an object or a boolean), when published.
    public var input: JSONValue?
    /// The JSON Schema of the output (an object or a boolean), when published.
    public var output: JSONValue?
    /// Environment variables the tool reads.
    public var env: [ToolManifest.EnvironmentVariable]
    /// Policy scopes the tool needs (unique).
    public var scopes: [String]
    /// What the tool may do to the world, when declared.
    public var risk: ToolManifest.Risk?
    /// One of ``bindings``, when declared.
    public var binding: String?
    /// Where to fetch the package, when published.
    public var package: PackageReference?
    /// Why this version was yanked (empty when no reason was given), or nil when it is not yanked.
    public var yanked: String?
    /// Where the entry came from.
    public var origin: Origin

    /// An entry from its fields (not validated: ``decode(line:)`` validates what comes from outside).
    public init(
        id: String, version: SemanticVersion, title: String? = nil, description: String, keywords: [String] = [],
        input: JSONValue? = nil, output: JSONValue? = nil, env: [ToolManifest.EnvironmentVariable] = [],
        scopes: [String] = [], risk: ToolManifest.Risk? = nil, binding: String? = nil,
        package: PackageReference? = nil, yanked: String? = nil, origin: Origin
    ) {
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.keywords = keywords
        self.input = input
        self.output = output
        self.env = env
        self.scopes = scopes
        self.risk = risk
        self.binding = binding
        self.package = package
        self.yanked = yanked
        self.origin = origin
    }

    /// The entry of an installed or starter package, from its manifest.
    ///
    /// - Parameters:
    ///   - manifest: the package's decoded `omega.json`.
    ///   - origin: `.installed` or `.starter` (any origin is accepted).
    ///   - package: where the package lives and its digest, when known.
    public init(manifest: ToolManifest, origin: Origin, package: PackageReference? = nil) {
        self.init(
            id: manifest.id, version: manifest.version, title: manifest.title, description: manifest.description,
            keywords: manifest.keywords, input: manifest.input, output: manifest.output, env: manifest.env,
            scopes: manifest.scopes, risk: manifest.risk, binding: manifest.execution.binding, package: package,
            origin: origin)
    }

    /// Whether the version is yanked.
    public var isYanked: Bool { yanked != nil }

    /// The names of the environment variables the tool requires.
    public var requiredEnvNames: [String] { env.filter(\.required).map(\.name) }

    /// The entry as an index line (DESIGN §8), with only the fields that are present; `yanked` is
    /// `true` when no reason was given, the reason otherwise. ``decode(line:)`` of it gives this entry
    /// back (with the origin passed to it).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "version": .string(version.description), "description": .string(description),
        ]
        if let title { members["title"] = .string(title) }
        if !keywords.isEmpty { members["keywords"] = .array(keywords.map { .string($0) }) }
        if let input { members["input"] = input }
        if let output { members["output"] = output }
        if !env.isEmpty {
            members["env"] = .array(
                env.map {
                    [
                        "name": .string($0.name), "description": .string($0.description),
                        "required": .bool($0.required),
                        "secret": .bool($0.secret),
                    ]
                })
        }
        if !scopes.isEmpty { members["scopes"] = .array(scopes.map { .string($0) }) }
        if let risk {
            var r: [String: JSONValue] = [
                "level": .string(risk.level.rawValue), "externalWrite": .bool(risk.externalWrite),
                "readOnly": .bool(risk.readOnly),
            ]
            if let idempotent = risk.idempotent { r["idempotent"] = .bool(idempotent) }
            members["risk"] = .object(r)
        }
        if let binding { members["binding"] = .string(binding) }
        if let package { members["package"] = ["source": .string(package.source), "digest": .string(package.digest)] }
        if let yanked { members["yanked"] = yanked.isEmpty ? .bool(true) : .string(yanked) }
        return .object(members)
    }
}
