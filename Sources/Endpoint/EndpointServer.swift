import AgentHost
import Console
import Hummingbird
import JSON
import Logging
import ServiceLifecycle
import ToolRuntime

/// `omega-exec serve`: the HTTP endpoint over Hummingbird (HTTP/1.1).
///
/// Routes:
/// - `POST /mcp`: MCP Streamable HTTP (``MCPRoute``); `GET` and `DELETE /mcp` are 405 (no
///   standalone stream, no session deletion).
/// - `GET`/`POST /credentials/{ticket}`: the credential page (``CredentialRoute``).
/// - `GET /healthz`: `{"status":"ok"}`, for scripts waiting for the server.
/// - `GET /`, `/c/{id}`, `/runs`, `/runs/{id}`, `/console/{file}`: the web console (``ConsoleRoutes``).
///
/// Every request passes the `Origin` check first (``OriginPolicy``). SIGTERM and SIGINT shut it down
/// gracefully: running tools are cancelled and their runs recorded as cancelled, open responses end,
/// then ``run(onListening:)`` returns.
public struct EndpointServer: Sendable {
    /// Opens the host once the public URL is known (after binding, when the port was 0).
    public typealias HostOpener = @Sendable (_ publicURL: String) throws(OmegaError) -> MCPHost
    /// Opens the host and the `/api` services once the public URL is known.
    public typealias ServicesOpener = @Sendable (_ publicURL: String) throws(OmegaError) -> (MCPHost, APIServices?)

    /// How long a graceful shutdown may take before what is left is cancelled.
    static let maximumShutdownDuration: Duration = .seconds(15)

    let listen: ListenAddress
    let publicURL: String?
    let allowedOrigins: [WebOrigin]
    let openHost: ServicesOpener
    let logger: Logger

    /// A server for an open host; its public URL (for the `Origin` check) is the host's credential
    /// page base URL, else `http://HOST:PORT`.
    ///
    /// - Parameters:
    ///   - host: The MCP host (its `credentialPageBaseURL` should be this server's public URL).
    ///   - listen: Where to listen (port 0: any free port).
    ///   - allowedOrigins: Origins accepted besides the server's own (`https://app.example.com`);
    ///     malformed ones are ignored with a warning (validate them with ``WebOrigin/init(parsing:field:)``).
    ///   - logger: Where the server logs (never keys, tickets' values or credential values).
    public init(host: MCPHost, listen: ListenAddress, allowedOrigins: [String], logger: Logger) {
        self.init(
            listen: listen, publicURL: host.configuration.credentialPageBaseURL, allowedOrigins: allowedOrigins,
            logger: logger, openServices: { _ throws(OmegaError) in (host, nil) })
    }

    /// A server that opens its host once bound, with the public URL then known: `publicURL`, else
    /// `http://HOST:PORT` with the real port (`127.0.0.1` for a wildcard listen host).
    ///
    /// - Parameters:
    ///   - listen: Where to listen (port 0: any free port).
    ///   - publicURL: The URL clients and browsers reach the server at, nil for the default.
    ///   - allowedOrigins: Origins accepted besides the server's own.
    ///   - logger: Where the server logs.
    ///   - openHost: Opens the host for the public URL (its credential page base); a failure stops
    ///     the server and is thrown by ``run(onListening:)``.
    public init(
        listen: ListenAddress, publicURL: String?, allowedOrigins: [String], logger: Logger,
        openHost: @escaping HostOpener
    ) {
        self.init(
            listen: listen, publicURL: publicURL, allowedOrigins: allowedOrigins, logger: logger,
            openServices: { url throws(OmegaError) in (try openHost(url), nil) })
    }

    /// A server that opens its host and its `/api` services once bound (see
    /// ``init(listen:publicURL:allowedOrigins:logger:openHost:)``).
    public init(
        listen: ListenAddress, publicURL: String?, allowedOrigins: [String], logger: Logger,
        openServices: @escaping ServicesOpener
    ) {
        self.listen = listen
        self.publicURL = publicURL
        self.logger = logger
        self.openHost = openServices
        var origins: [WebOrigin] = []
        for text in allowedOrigins {
            if let origin = WebOrigin.parse(text) {
                origins.append(origin)
            } else {
                logger.warning(
                    "ignoring an allowed origin that is not an http(s) origin", metadata: ["origin": "\(text)"])
            }
        }
        self.allowedOrigins = origins
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: running calls are cancelled and
    /// recorded, open responses end, the socket closes.
    ///
    /// - Parameter onListening: Called once with `http://HOST:PORT` (the real port) when the server
    ///   accepts requests; the CLI prints it on stdout.
    /// - Throws: When the socket cannot be bound or the host cannot be opened (an ``OmegaError``).
    public func run(onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let binding = Eventual<EndpointBinding>()
        let (failures, failure) = AsyncStream<OmegaError>.makeStream()
        let application = self.application(binding: binding, onFailure: { failure.yield($0) }, onListening: onListening)
        var configuration = ServiceGroupConfiguration(
            services: [application, HostShutdownService(binding: binding, failures: failures)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = Self.maximumShutdownDuration
        try await ServiceGroup(configuration: configuration).run()
        failure.finish()
        logger.notice("stopped")
    }

    /// The Hummingbird application: routes, the `Origin` check, and the host opened when bound.
    func application(
        binding: Eventual<EndpointBinding>, onFailure: @escaping @Sendable (OmegaError) -> Void,
        onListening: @escaping @Sendable (String) -> Void
    ) -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: OriginMiddleware(binding: binding))
        router.add(middleware: APIFallbackMiddleware())
        let mcp = MCPRoute(logger: logger)
        let credentials = CredentialRoute(logger: logger)
        router.get("/healthz") { _, _ in Response.json(["status": "ok"], status: 200) }
        let api = APIRoutes(binding: binding, logger: logger)
        ConversationRoutes.register(router, api)
        RunRoutes.register(router, api)
        let console = ConsoleAssets.fromEnvironment()
        if case .directory(let folder) = console.source {
            logger.warning("serving the console from a folder (development)", metadata: ["folder": "\(folder)"])
        }
        ConsoleRoutes.register(router, assets: console)
        router.get("/metrics") { _, _ -> Response in
            guard let services = binding.current?.api else { return Self.unavailable }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: services.metrics.text())))
        }
        router.get("/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.post("/mcp") { request, _ -> Response in
            guard let bound = binding.current else { return Self.unavailable }
            return await mcp.respond(to: request, binding: bound)
        }
        for method in [HTTPRequest.Method.get, .delete] {
            router.on("/mcp", method: method) { _, _ in
                Response.rpcError(
                    status: 405, code: JSONRPCError.invalidRequest, reason: "method_not_allowed",
                    "this server offers no standalone stream and keeps no deletable session: POST JSON-RPC messages to /mcp",
                    headers: [.allow: "POST"])
            }
        }
        router.get("/credentials/:ticket") { _, context -> Response in
            guard let bound = binding.current else { return Self.unavailable }
            return credentials.show(ticket: context.parameters.get("ticket") ?? "", host: bound.host)
        }
        router.post("/credentials/:ticket") { request, context -> Response in
            guard let bound = binding.current else { return Self.unavailable }
            return await credentials.submit(request, ticket: context.parameters.get("ticket") ?? "", host: bound.host)
        }
        let listen = self.listen
        let logger = self.logger
        let openHost = self.openHost
        let publicURL = self.publicURL
        let extraOrigins = self.allowedOrigins
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(listen.host, port: listen.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                let local = "http://\(listen.urlHost):\(port)"
                let published = publicURL ?? "http://\(listen.isWildcard ? "127.0.0.1" : listen.urlHost):\(port)"
                do throws(OmegaError) {
                    let (host, api) = try openHost(published)
                    let origins = OriginPolicy(
                        listen: listen, port: port, publicURL: WebOrigin.parse(published), extra: extraOrigins)
                    binding.settle(EndpointBinding(host: host, publicURL: published, origins: origins, api: api))
                } catch {
                    logger.error("cannot open the MCP host", metadata: ["error": "\(error.message)"])
                    binding.settle(nil)
                    onFailure(error)
                    return
                }
                logger.notice("listening on \(local)", metadata: ["publicURL": "\(published)"])
                onListening(local)
            },
            logger: logger)
    }

    private static var unavailable: Response {
        .rpcError(status: 503, code: JSONRPCError.internalError, reason: "unavailable", "the server is not ready")
    }
}
