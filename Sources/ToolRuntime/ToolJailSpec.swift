import Foundation
import Jail
import RunStorage
import ToolPackage

/// The one place a tool's jail spec is built from its manifest: the command with package-relative
/// paths under `/tool`, the declared environment only, the manifest's limits (the jail's own
/// defaults where the manifest says nothing), the package read-only at `/tool`, the outbox at
/// `/work/out`, the input on stdin and the default seccomp profile.
public enum ToolJailSpec {
    /// The spec for one run of a sandbox job.
    ///
    /// - Parameters:
    ///   - manifest: The tool's manifest; its binding must be `sandbox_job`.
    ///   - packageDirectory: The (verified) package folder mounted at `/tool`.
    ///   - environment: Values of declared variables; undeclared names are never passed.
    ///   - input: The input document, written to the tool's stdin.
    ///   - outbox: The host folder mounted writable at `/work/out`, if any.
    ///   - egressSocket: The run's egress proxy socket, for a tool with egress (DESIGN §11): the jail
    ///     relays `127.0.0.1:3128` to it, and the system's CA certificates are mounted read-only so
    ///     the tool can verify TLS through the tunnel.
    /// - Returns: The spec, or nil when the binding is not a sandbox job with a command.
    /// - Throws: `SANDBOX_FAILURE` when the seccomp profile cannot be loaded.
    public static func make(
        manifest: ToolManifest, packageDirectory: String, environment: [String: String], input: [UInt8],
        outbox: String?, egressSocket: String? = nil
    ) throws(OmegaError) -> JailSpec? {
        guard case .sandboxJob(let command, _) = manifest.execution, !command.isEmpty else { return nil }
        var spec = JailSpec(program: command[0], arguments: arguments(command, package: packageDirectory))
        if command[0].contains("/") && !command[0].hasPrefix("/") { spec.program = "/tool/" + clean(command[0]) }
        spec.environment = manifest.env.compactMap { variable in environment[variable.name].map { (variable.name, $0) }
        }
        apply(manifest.limits, to: &spec.limits)
        spec.toolDirectory = packageDirectory
        if let outbox { spec.binds = [JailSpec.Bind(source: outbox, destination: "/work/out", writable: true)] }
        if let egressSocket {
            spec.network = .loopback
            spec.egressSocket = egressSocket
            for store in caStores where FileManager.default.fileExists(atPath: store) {
                spec.binds.append(JailSpec.Bind(source: store, destination: store, writable: false))
            }
        }
        spec.stdinData = input
        do {
            spec.seccompProgram = try SeccompPolicy.program(named: "default").bytes
        } catch {
            throw OmegaError(.sandboxFailure, "cannot load the seccomp profile: \(error)")
        }
        return spec
    }

    /// The system's CA certificates (Debian's layout; `/usr` is in every jail already), mounted for
    /// tools with egress only.
    public static let caStores = ["/etc/ssl/certs"]

    /// Sets the manifest's limits on `limits`, keeping the jail's defaults for what it leaves out.
    public static func apply(_ manifest: ToolManifest.Limits, to limits: inout JailLimits) {
        limits.wallSeconds = Double(manifest.timeoutSeconds)
        limits.memoryBytes = UInt64(manifest.memoryMB) << 20
        limits.pids = manifest.pids
        limits.outputBytes = manifest.outputBytes
    }

    /// The limits as `tool.started` records them (seconds, MiB, pids, bytes).
    public static func recorded(_ limits: JailLimits) -> RunEventPayload.Limits {
        RunEventPayload.Limits(
            timeoutSeconds: Int(limits.wallSeconds), memoryMB: Int(limits.memoryBytes >> 20), pids: limits.pids,
            outputBytes: limits.outputBytes)
    }

    /// The command's arguments, with relative paths that name files of the package made absolute
    /// under `/tool` (so `["python3", "main.py"]` works from the `/work` working directory).
    public static func arguments(_ command: [String], package: String) -> [String] {
        command.dropFirst().map { argument in
            guard !argument.hasPrefix("/"), !argument.hasPrefix("-"), !argument.isEmpty else { return argument }
            let cleaned = clean(argument)
            guard !cleaned.isEmpty, !cleaned.split(separator: "/").contains(".."),
                FileManager.default.fileExists(atPath: package + "/" + cleaned)
            else { return argument }
            return "/tool/" + cleaned
        }
    }

    static func clean(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
