import AgentHost
import ServiceLifecycle
import ToolRuntime

/// Cancels the host's running calls when the service group shuts down gracefully (SIGTERM, SIGINT),
/// and stops the group when the host could not be opened (it throws that error).
///
/// It sits after the HTTP server in the group, so it is shut down first: every running tool is
/// cancelled (its jail killed) and its run recorded as cancelled before the server stops accepting
/// and waits for its open responses, which then end at once.
struct HostShutdownService: Service {
    /// The host, once the server is bound and the host open (nil if it could not be opened).
    let binding: Eventual<EndpointBinding>
    /// Yields the error when the host could not be opened.
    let failures: AsyncStream<OmegaError>

    func run() async throws {
        // Ends at graceful shutdown (or cancellation); a failure to open the host ends the group.
        for await error in failures.cancelOnGracefulShutdown() { throw error }
        await binding.current?.api?.conversations.cancelAll()
        binding.current?.api?.auditQueue.flush()
        await binding.current?.host.shutdown()
    }
}
