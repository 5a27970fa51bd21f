import Egress
import EgressProxy
import Foundation
import Jail
import Synchronization
import ToolRuntime

/// `omega-exec jail --egress`: one program in the jail with a proxy of its own granting exactly the
/// given hosts (DESIGN §11), no policy involved: the person at the terminal is the grant.
public enum EgressJailRun {
    /// The jail's verdict and the record of every connection the program opened (or tried to).
    public struct Outcome: Sendable {
        /// The jail's verdict for the program.
        public var result: JailResult
        /// One record per connection the program opened or tried, in the order they ended.
        public var connections: [EgressConnectionRecord]
    }

    /// Runs `spec` with a proxy socket in a new folder only this user (and the jail) can enter, removed
    /// afterwards, and the system's CA certificates mounted read-only (as for a tool with egress).
    ///
    /// - Parameters:
    ///   - spec: The jail spec (its network must be `loopback`); its `egressSocket` is set here.
    ///   - rules: The hosts the program may reach.
    ///   - limits: The proxy's caps for this run.
    ///   - jail: The jail.
    ///   - output: Captured or passed through, as for ``Jail/run(_:output:cancellation:)``.
    ///   - onRecord: Called as each connection ends (from the proxy's threads).
    /// - Throws: ``JailError`` when the jail cannot run the program, ``EgressProxyError`` when the
    ///   proxy cannot listen.
    public static func run(
        _ spec: JailSpec, rules: [EgressRule], limits: EgressLimits = EgressLimits(), in jail: Jail,
        output: Jail.OutputMode, onRecord: @escaping @Sendable (EgressConnectionRecord) -> Void = { _ in }
    ) async throws -> Outcome {
        var template = Array((NSTemporaryDirectory() + "/omega-egress-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw EgressProxyError.bind(path: NSTemporaryDirectory(), reason: "cannot create a folder for the socket")
        }
        let folder = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try EgressSocketFolder.admit(folder, for: jail)
        let records = Records()
        let proxy = EgressProxy()
        let session = try await proxy.open(
            socketPath: folder + "/proxy.sock", grant: EgressGrant(rules: rules, limits: limits)
        ) { record in
            records.list.withLock { $0.append(record) }
            onRecord(record)
        }
        var spec = spec
        spec.egressSocket = session.socketPath
        for store in ToolJailSpec.caStores
        where FileManager.default.fileExists(atPath: store) && !spec.binds.contains(where: { $0.destination == store })
        {
            spec.binds.append(JailSpec.Bind(source: store, destination: store, writable: false))
        }
        let result: JailResult
        do {
            // The jail blocks this thread; the proxy lives on its own event loops.
            result = try jail.run(spec, output: output)
        } catch {
            _ = await session.close()
            throw error
        }
        _ = await session.close()
        return Outcome(result: result, connections: records.list.withLock { $0 })
    }

    /// The records so far, shared with the proxy's threads.
    private final class Records: Sendable {
        let list = Mutex<[EgressConnectionRecord]>([])
    }
}
