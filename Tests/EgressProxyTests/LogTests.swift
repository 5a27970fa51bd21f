import Egress
import EgressProxy
import Logging
import Synchronization
import Testing

/// What the proxy logs: never a host the tool spelled (logs are not redacted, records are).
struct LogTests {
    /// Keeps every message and metadata value logged, as text.
    final class Capture: LogHandler, Sendable {
        let lines = Mutex<[String]>([])
        var metadataProvider: Logger.MetadataProvider? {
            get { nil }
            set {}
        }
        var metadata: Logger.Metadata {
            get { [:] }
            set {}
        }
        var logLevel: Logger.Level {
            get { .trace }
            set {}
        }
        subscript(metadataKey _: String) -> Logger.Metadata.Value? {
            get { nil }
            set {}
        }

        func log(event: LogEvent) {
            let values = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }
            lines.withLock { $0.append(([event.message.description] + values).joined(separator: " ")) }
        }
    }

    @Test func aRequestedHostIsNeverLogged() async throws {
        let folder = SocketDirectory()
        let capture = Capture()
        let proxy = EgressProxy(resolver: TableResolver([:]), logger: Logger(label: "test") { _ in capture })
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]), onRecord: { _ in })
        _ = try await ToolConnection.exchange(session.socketPath, "CONNECT sk-secret-token.test:443 HTTP/1.1\r\n\r\n")
        _ = await session.close()
        let lines = capture.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("egress connection") })
        #expect(!lines.contains { $0.contains("sk-secret-token") })
    }
}
