import NIOCore
import Synchronization

/// One run's egress: its socket, its grant and caps, its open connections and totals.
public final class EgressSession: Sendable {
    /// Where the run's socket is (as given to ``EgressProxy/open(socketPath:grant:onRecord:)``).
    public let socketPath: String

    private let core: SessionCore
    private let server: Channel
    private let folder: SocketFolder
    private let removed = Mutex(false)

    init(socketPath: String, core: SessionCore, server: Channel, folder: SocketFolder) {
        self.socketPath = socketPath
        self.core = core
        self.server = server
        self.folder = folder
    }

    /// Stops accepting, closes every open connection of the run (their records say `run_ended`),
    /// removes the socket file, and returns the run's totals. Idempotent: later calls return the same
    /// totals.
    ///
    /// Every record has been passed to `onRecord` when this returns.
    public func close() async -> EgressUsage {
        let ends = core.beginClose()
        try? await server.close()
        for end in ends { end() }
        await core.drained()
        let first = removed.withLock { removed in
            defer { removed = true }
            return !removed
        }
        if first {
            folder.removeSocket()
            folder.close()
        }
        return core.usage()
    }
}
