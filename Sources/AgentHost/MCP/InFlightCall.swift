import Synchronization

/// A `tools/call` the host is running: the run it started (known from the run's first event) and
/// whether the client cancelled it. A cancellation that arrives before the run's id is known is
/// applied the moment the id is.
final class InFlightCall: Sendable {
    private struct State {
        var runID: String?
        var cancelled = false
    }

    private let state = Mutex(State())
    /// The call's key in the host's table (also the tag of requests sent to the client for it).
    let key: String
    /// The connection that made the call (closing it cancels the call).
    let peerID: String

    init(key: String, peerID: String) {
        self.key = key
        self.peerID = peerID
    }

    /// The key of a call in the host's table.
    static func key(peer: MCPPeer, id: JSONRPCID) -> String { peer.callScope + "|" + id.description }

    /// Whether the client cancelled the call.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the call cancelled; returns the run to cancel when it is known.
    func markCancelled() -> String? {
        state.withLock { state in
            state.cancelled = true
            return state.runID
        }
    }

    /// Records the run's id; returns true when the call was cancelled already (cancel the run now).
    func attach(runID: String) -> Bool {
        state.withLock { state in
            if state.runID == nil { state.runID = runID }
            return state.cancelled
        }
    }
}
