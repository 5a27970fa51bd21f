import Egress
import Logging
import NIOCore
import NIOPosix

/// The egress proxy (DESIGN §11): one per process, serving any number of runs at once, each on a Unix
/// socket of its own with its own grant.
///
/// A tool's jail has no network; its init relays `127.0.0.1:3128` inside the jail to the run's socket,
/// and the tool's `HTTP_PROXY`/`HTTPS_PROXY` point there. Everything arriving on the socket is treated
/// as hostile. Per connection the proxy reads one request head, then:
/// - `CONNECT host:port` opens a tunnel, and an absolute `http://` URL (any method) is forwarded once in
///   origin form with hop-by-hop and proxy headers removed and `Connection: close`; anything else
///   (`https://` URLs, origin-form requests, garbage) is `400`.
/// - The host must be a name (an IP literal in any form is `403 ip_literal`), granted with its port by
///   a rule (`403 not_granted`), resolved by the proxy on every connection (`502 resolve_failed`), and
///   every address of the answer must pass the address policy (`403 address_refused`, even when only
///   one of several addresses is internal). Addresses are tried in order (`502 connect_failed`).
/// - Connection and byte caps, an idle timeout and the run's end close connections; each connection's
///   record (target, verdict, reason, byte counts, never headers or payload) goes to `onRecord`.
///
/// Redirects are never followed: a `3xx` reaches the tool untouched, and its next request is checked
/// like any other.
public final class EgressProxy: Sendable {
    private let resolver: any EgressResolver
    private let refusal: @Sendable (IPAddress) -> AddressPolicy.Refusal?
    private let chosenGroup: (any EventLoopGroup)?
    /// The loops sessions open on: the caller's, else ``ownLoops``, made only when the first session
    /// opens (a process that never runs a tool with egress starts no thread for it).
    private var group: any EventLoopGroup { chosenGroup ?? Self.ownLoops }
    private let logger: Logger

    /// The proxies' own event loops, made once per process on first use and never shut down.
    public static let ownLoops: any EventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// A proxy.
    ///
    /// - Parameters:
    ///   - resolver: How names are resolved (the host's `getaddrinfo` by default).
    ///   - refusal: Which resolved addresses are refused, and why (the public-unicast policy by default).
    ///   - group: The event loops serving the sockets and the connections to servers: by default two of
    ///     the proxy's own, so a server sharing the process (`serve`'s HTTP loops) can never stall a
    ///     tunnel, nor a tunnel the server.
    ///   - logger: Where sessions and connection outcomes are logged (ports, verdicts and reasons only; never
    ///     a host, which the tool spells).
    public init(
        resolver: any EgressResolver = SystemResolver(),
        refusal: @escaping @Sendable (IPAddress) -> AddressPolicy.Refusal? = AddressPolicy.refusal(for:),
        group: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "omega.egress")
    ) {
        self.resolver = resolver
        self.refusal = refusal
        self.chosenGroup = group
        self.logger = logger
    }

    /// Listens on a new Unix socket at `socketPath` for one run with `grant`.
    ///
    /// The socket file gets mode 0666; the caller makes its folder 0700, or 0710 with the jail's group
    /// so the jail can bind the socket (the folder is the access control) and must call ``EgressSession/close()`` when the run ends. A path longer than a socket
    /// address holds is bound through `/proc/self/fd/<folder>/<name>`.
    ///
    /// - Parameters:
    ///   - socketPath: An absolute path where no file exists yet.
    ///   - grant: What the run may reach, and its caps.
    ///   - onRecord: Called once per connection when it ends or is refused, on an event-loop thread (it
    ///     must not block), at most `grant.limits.maxRecords` times.
    /// - Returns: The session; its socket accepts connections when this returns.
    /// - Throws: ``EgressProxyError`` when the path is unusable or the socket cannot be bound.
    public func open(
        socketPath: String, grant: EgressGrant, onRecord: @escaping @Sendable (EgressConnectionRecord) -> Void
    ) async throws(EgressProxyError) -> EgressSession {
        let folder = try SocketFolder(socketPath: socketPath)
        let core = SessionCore(grant: grant, resolver: resolver, refusal: refusal, logger: logger, onRecord: onRecord)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.recvAllocator, value: ProxyConnection.receiveBuffers)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try ProxyConnection.start(channel: channel, core: core) }
            }
        let server: Channel
        do {
            server = try await bootstrap.bind(unixDomainSocketPath: folder.bindPath).get()
        } catch {
            folder.close()
            throw .bind(path: socketPath, reason: String(describing: error))
        }
        do {
            try folder.makeConnectable()
        } catch {
            try? await server.close()
            folder.removeSocket()
            folder.close()
            throw error
        }
        logger.debug("egress session open", metadata: ["rules": "\(grant.rules.count)"])
        return EgressSession(socketPath: socketPath, core: core, server: server, folder: folder)
    }
}
