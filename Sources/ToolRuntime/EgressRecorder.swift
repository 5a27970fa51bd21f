import EgressProxy
import JSON

/// Writes one run's egress connection records as `egress.connection` events, one at a time in the
/// order the proxy reported them, off the proxy's event loops (a store write can wait on a lock; an
/// event loop must not). Each record passes through the run's redactor first: a tool can spell a
/// secret into a host name.
final class EgressRecorder: Sendable {
    private let continuation: AsyncStream<EgressConnectionRecord>.Continuation
    private let writer: Task<Void, Never>

    /// A recorder for `context`'s run, writing through `runner`.
    init(_ context: RunContext, runner: ToolRunner) {
        // Unbounded is bounded: the proxy reports at most `EgressLimits.maxRecords` per run.
        let (stream, continuation) = AsyncStream<EgressConnectionRecord>.makeStream(bufferingPolicy: .unbounded)
        self.continuation = continuation
        writer = Task {
            for await record in stream {
                guard case .object(let fields) = context.redact(record.json) else { continue }
                try? runner.record(context, .egressConnection(record: fields))
            }
        }
    }

    /// Queues `record`; returns at once (called on the proxy's event loops).
    func add(_ record: EgressConnectionRecord) { continuation.yield(record) }

    /// Returns once every record queued so far is written; later ones are dropped.
    func finish() async {
        continuation.finish()
        await writer.value
    }
}
