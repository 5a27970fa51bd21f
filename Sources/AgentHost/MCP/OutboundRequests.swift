import Foundation
import JSON
import Synchronization

/// Requests the host sent to clients (`elicitation/create` to 2025-11-25 clients) and are waiting for
/// an answer. An answer is taken only from the principal the request was sent to, whichever
/// connection it arrives on (over HTTP the client posts it separately); an unknown id, another
/// caller's answer, or a second answer is ignored.
final class OutboundRequests: Sendable {
    private struct Waiter {
        var principal: String
        var peerID: String
        var tag: String?
        var continuation: CheckedContinuation<Result<JSONValue, JSONRPCError>, Never>
    }

    private let waiting = Mutex<[JSONRPCID: Waiter]>([:])

    /// Sends `method` to `peer` and waits for the answer, a timeout, or the call's cancellation.
    ///
    /// - Returns: The client's result, or a JSON-RPC error: the client's own, `-32001` on timeout,
    ///   `-32000` when the channel is closed or the waiting call was cancelled.
    func send(
        _ method: String, params: JSONValue, to peer: MCPPeer, tag: String? = nil, timeoutMs: Int64,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) async -> Result<JSONValue, JSONRPCError> {
        guard let outbound = peer.outbound else {
            return .failure(JSONRPCError(-32000, "the connection cannot carry requests to the client"))
        }
        let id = JSONRPCID.string("omega-" + UUID().uuidString.lowercased())
        let timeout = Task {
            try? await Task.sleep(for: .milliseconds(timeoutMs))
            if !Task.isCancelled {
                resolve(
                    id: id, principal: nil, with: .failure(JSONRPCError(-32001, "the client did not answer in time")))
            }
        }
        defer { timeout.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock {
                    $0[id] = Waiter(
                        principal: peer.caller.principal, peerID: peer.id, tag: tag, continuation: continuation)
                }
                // A cancellation that ran before the waiter was in the table could not end it: look now.
                if Task.isCancelled || isCancelled() {
                    resolve(id: id, principal: nil, with: .failure(JSONRPCError(-32000, "the call was cancelled")))
                    return
                }
                Task {
                    let delivered = await outbound.send(JSONRPCMessage.requestFrame(id: id, method, params))
                    if !delivered {
                        self.resolve(id: id, principal: nil, with: .failure(JSONRPCError(-32000, "the client is gone")))
                    }
                }
            }
        } onCancel: {
            resolve(id: id, principal: nil, with: .failure(JSONRPCError(-32000, "the call was cancelled")))
        }
    }

    /// Delivers an answer; `principal` nil delivers from the host itself (timeouts, cancellation).
    func resolve(id: JSONRPCID, principal: String?, with result: Result<JSONValue, JSONRPCError>) {
        let waiter = waiting.withLock { waiting -> Waiter? in
            guard let waiter = waiting[id], principal == nil || waiter.principal == principal else { return nil }
            waiting[id] = nil
            return waiter
        }
        waiter?.continuation.resume(returning: result)
    }

    /// Ends the waits of one peer (nil: all), or of the call tagged `tag`, as if the client had gone.
    func abandon(principal: String?, peerID: String?, tag: String? = nil) {
        let ids = waiting.withLock { waiting in
            waiting.filter { (peerID == nil || $0.value.peerID == peerID) && (tag == nil || $0.value.tag == tag) }
                .map(\.key)
        }
        for id in ids { resolve(id: id, principal: nil, with: .failure(JSONRPCError(-32000, "the client is gone"))) }
    }
}
