import EgressProxy
import Foundation

/// How an ``ToolRunner`` behaves. Every field has a production default; ``fromEnvironment(home:)``
/// reads the `OMEGA_*` overrides the CLI and the tests use.
public struct RuntimeConfiguration: Sendable {
    /// The appliance's home.
    public var home: OmegaHome
    /// The workspace-level policy file (narrowest), if any.
    public var workspacePolicy: String?
    /// The project-level policy file, if any.
    public var projectPolicy: String?
    /// The user-level policy file (default `<home>/policy.json`).
    public var userPolicy: String?
    /// Whether tools may be named by path (folders and archives).
    public var allowPaths = true
    /// Tools running at once, in total (`OMEGA_MAX_RUNS`, default 8).
    public var maxConcurrentRuns = 8
    /// Tools running at once per tool id (`OMEGA_MAX_RUNS_PER_TOOL`, default 4).
    public var maxConcurrentRunsPerTool = 4
    /// Calls allowed to wait for a slot before `RATE_LIMITED` (`OMEGA_MAX_QUEUED_RUNS`, default 256).
    public var maxQueuedRuns = 256
    /// Consecutive failures that open a tool's circuit (`OMEGA_BREAKER_THRESHOLD`, default 5).
    public var breakerThreshold = 5
    /// How long an open circuit refuses calls (`OMEGA_BREAKER_COOLDOWN_SECONDS`, default 30).
    public var breakerCooldownSeconds: Double = 30
    /// Most bytes a run may leave in `/work/out` (default 64 MiB).
    public var artifactCapacityBytes: UInt64 = 64 << 20
    /// Most files a run may leave in `/work/out` (default 1,000).
    public var maxArtifacts = 1000
    /// What one run may do through the egress proxy (DESIGN §11): connections at once and in total,
    /// bytes both ways, timeouts. `OMEGA_EGRESS_MAX_BYTES` and `OMEGA_EGRESS_MAX_CONNECTIONS` override.
    public var egressLimits = EgressLimits()

    /// A configuration over `home` with every default.
    public init(home: OmegaHome = OmegaHome()) {
        self.home = home
        self.userPolicy = home.userPolicyPath
    }

    /// The defaults, overridden by `OMEGA_MAX_RUNS`, `OMEGA_MAX_RUNS_PER_TOOL`, `OMEGA_MAX_QUEUED_RUNS`,
    /// `OMEGA_BREAKER_THRESHOLD`, `OMEGA_BREAKER_COOLDOWN_SECONDS`, `OMEGA_EGRESS_MAX_BYTES` (1 KiB–1 TiB),
    /// `OMEGA_EGRESS_MAX_CONNECTIONS` (1–100,000), `OMEGA_POLICY` (a workspace
    /// policy file) and `OMEGA_PROJECT_POLICY` (a project policy file). Malformed values are ignored.
    public static func fromEnvironment(home: OmegaHome = OmegaHome()) -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(home: home)
        let env = ProcessInfo.processInfo.environment
        func int(_ name: String, _ range: ClosedRange<Int>) -> Int? {
            env[name].flatMap(Int.init).flatMap { range.contains($0) ? $0 : nil }
        }
        if let value = int("OMEGA_MAX_RUNS", 1...4096) { configuration.maxConcurrentRuns = value }
        if let value = int("OMEGA_MAX_RUNS_PER_TOOL", 1...4096) { configuration.maxConcurrentRunsPerTool = value }
        if let value = int("OMEGA_MAX_QUEUED_RUNS", 0...1_000_000) { configuration.maxQueuedRuns = value }
        if let value = int("OMEGA_BREAKER_THRESHOLD", 1...1000) { configuration.breakerThreshold = value }
        if let value = env["OMEGA_BREAKER_COOLDOWN_SECONDS"].flatMap(Double.init), value >= 0, value <= 86_400 {
            configuration.breakerCooldownSeconds = value
        }
        if let value = env["OMEGA_EGRESS_MAX_BYTES"].flatMap(UInt64.init), (1024...(1 << 40)).contains(value) {
            configuration.egressLimits.maxBytes = value
        }
        if let value = int("OMEGA_EGRESS_MAX_CONNECTIONS", 1...100_000) { configuration.egressLimits.maxConnections = value }
        if let value = env["OMEGA_POLICY"], !value.isEmpty { configuration.workspacePolicy = value }
        if let value = env["OMEGA_PROJECT_POLICY"], !value.isEmpty { configuration.projectPolicy = value }
        return configuration
    }
}
