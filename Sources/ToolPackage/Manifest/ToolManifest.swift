import Egress
import JSON
/// A tool's `omega.json` (DESIGN §3), decoded strictly: what the tool is, what it accepts and
/// returns, what it may do and how it runs.
///
/// Decode with ``ToolManifest/decode(_:)`` (a parsed document) or ``ToolManifest/decode(text:file:)``.
/// Unknown fields are errors at every level of the manifest's own structure unless their name starts
/// with `x-`; the schemas (`input`, `output`) and example values are free-form JSON.
public struct ToolManifest: Sendable, Hashable {
    /// The manifest format version this code reads.
    public static let supportedSchemaVersion: Int64 = 1
    /// The file name of the manifest at a package's root.
    public static let fileName = "omega.json"

    /// Always ``supportedSchemaVersion``.
    public var schemaVersion: Int64
    /// Dotted lowercase name, e.g. `web.fetch_extract` (at most 128 characters).
    public var id: String
    /// The package version (semver 2.0).
    public var version: SemanticVersion
    /// A short human title (defaults to the id when absent).
    public var title: String
    /// What the tool does, for people and for planners.
    public var description: String
    /// Search keywords.
    public var keywords: [String]
    /// The JSON Schema of the tool's input (compiled by the linter, not here).
    public var input: JSONValue
    /// The JSON Schema of the tool's output, when declared.
    public var output: JSONValue?
    /// Environment variables the tool reads.
    public var env: [EnvironmentVariable]
    /// Policy scopes the tool needs (`read_web`, `write_files`, …).
    public var scopes: [String]
    /// What the tool may do to the world.
    public var risk: Risk
    /// How the tool runs.
    public var execution: Execution
    /// The hosts a sandbox job may reach through the egress proxy (`network.egress`, DESIGN §11), as
    /// written; empty: no network at all (the default). Non-empty only for a `sandbox_job`, whose
    /// execution's network is then `egress`, and only with the `read_web` scope or a write scope.
    public var egress: [EgressRule] = []
    /// Resource limits for one run.
    public var limits: Limits
    /// Worked examples, checked by the linter.
    public var examples: [Example]
    /// Top-level `x-` extension fields, kept verbatim.
    public var extensions: [String: JSONValue]
    /// The whole document as it was decoded (its canonical form is what package digests cover).
    public var document: JSONValue

    /// An environment variable the tool reads.
    public struct EnvironmentVariable: Sendable, Hashable {
        /// `^[A-Z_][A-Z0-9_]*$`.
        public var name: String
        /// What the variable is for (shown when it is missing).
        public var description: String
        /// Whether a run pauses with `MISSING_ENV_VARS` when it is absent (default false).
        public var required: Bool
        /// Whether the value is a secret that never appears in logs or run records (default false).
        public var secret: Bool

        /// A variable declaration.
        public init(name: String, description: String, required: Bool = false, secret: Bool = false) {
            self.name = name
            self.description = description
            self.required = required
            self.secret = secret
        }
    }

    /// The risk declaration policy and MCP annotations are derived from.
    public struct Risk: Sendable, Hashable {
        /// How much harm a wrong call can do.
        public enum Level: String, Sendable, Hashable, CaseIterable {
            /// Reads or computes only.
            case low
            /// Limited, reversible effects.
            case medium
            /// Significant or irreversible effects; every call needs approval.
            case high
        }

        /// The level.
        public var level: Level
        /// Whether the tool changes state outside the run (sends, posts, writes remote data).
        public var externalWrite: Bool
        /// Whether the tool only reads.
        public var readOnly: Bool
        /// Whether repeating a call with the same input has no further effect (optional in the file).
        public var idempotent: Bool?

        /// A risk declaration.
        public init(level: Level, externalWrite: Bool, readOnly: Bool, idempotent: Bool? = nil) {
            self.level = level
            self.externalWrite = externalWrite
            self.readOnly = readOnly
            self.idempotent = idempotent
        }
    }

    /// How a tool runs (`execution` in the file).
    public enum Execution: Sendable, Hashable {
        /// `sandbox_job`: the package's program runs in the jail.
        /// `command` is the argv (`["python3", "main.py"]`); `network` is `none` (default) or `egress`.
        case sandboxJob(command: [String], network: Network)
        /// `inproc_safe`: a built-in Swift tool with no side effects, named by `builtin` (a dotted name).
        case inprocSafe(builtin: String)
        /// `mcp_remote`: tool `tool` of the registered MCP server `server`.
        case mcpRemote(server: String, tool: String)
        /// `openapi_proxy`: one HTTP operation (`method`, an `http(s)://` `url`, optional `operationId`).
        case openAPIProxy(method: String, url: String, operationId: String?)

        /// Network access of a sandbox job.
        public enum Network: String, Sendable, Hashable, CaseIterable {
            /// No network at all (the default).
            case none
            /// Outbound connections through the egress proxy.
            case egress
        }

        /// The binding name as the file spells it.
        public var binding: String {
            switch self {
            case .sandboxJob: return "sandbox_job"
            case .inprocSafe: return "inproc_safe"
            case .mcpRemote: return "mcp_remote"
            case .openAPIProxy: return "openapi_proxy"
            }
        }

        /// The argv of a sandbox job, nil for other bindings.
        public var command: [String]? {
            if case .sandboxJob(let command, _) = self { return command }
            return nil
        }
    }

    /// Resource limits of one run.
    public struct Limits: Sendable, Hashable {
        /// Wall-clock limit, 1…3600 seconds (default 300, the jail's own default).
        public var timeoutSeconds: Int
        /// Memory limit, 16…65536 MiB (default 256).
        public var memoryMB: Int
        /// Process/thread limit, 1…4096 (default 64).
        public var pids: Int
        /// Largest stdout accepted, 1 KiB…256 MiB (default 1 MiB).
        public var outputBytes: Int

        /// The defaults used for absent fields.
        public static let defaults = Limits(timeoutSeconds: 300, memoryMB: 256, pids: 64, outputBytes: 1 << 20)

        /// The accepted range of each field, by field name.
        public static let ranges: [(name: String, range: ClosedRange<Int>)] = [
            ("timeoutSeconds", 1...3600), ("memoryMB", 16...65536), ("pids", 1...4096),
            ("outputBytes", 1024...(256 << 20)),
        ]

        /// Limits from their values.
        public init(timeoutSeconds: Int, memoryMB: Int, pids: Int, outputBytes: Int) {
            self.timeoutSeconds = timeoutSeconds
            self.memoryMB = memoryMB
            self.pids = pids
            self.outputBytes = outputBytes
        }
    }

    /// A worked example: an input and, optionally, its expected output.
    public struct Example: Sendable, Hashable {
        /// How an example's output is compared with a real run's.
        public enum OutputMatch: String, Sendable, Hashable, CaseIterable {
            /// The run's output must equal `output` (JSON equality).
            case exact
            /// The run's output must validate against the output schema; `output` is an illustration.
            case schema
        }

        /// A unique name within the manifest.
        public var name: String
        /// The input document.
        public var input: JSONValue
        /// The expected (or illustrative) output.
        public var output: JSONValue?
        /// Defaults to `exact` when `output` is present, `schema` otherwise.
        public var outputMatch: OutputMatch

        /// An example.
        public init(name: String, input: JSONValue, output: JSONValue? = nil, outputMatch: OutputMatch? = nil) {
            self.name = name
            self.input = input
            self.output = output
            self.outputMatch = outputMatch ?? (output == nil ? .schema : .exact)
        }
    }

    /// Whether `name` is a scope that writes or sends (`write_*`, `send_*`).
    public static func isWriteScope(_ name: String) -> Bool { name.hasPrefix("write_") || name.hasPrefix("send_") }

    /// The declared scopes that write or send.
    public var writeScopes: [String] { scopes.filter(Self.isWriteScope) }
}
