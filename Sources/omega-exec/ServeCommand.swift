import Access
import AgentHost
import ArgumentParser
import Conversations
import Endpoint
import Foundation
import JSON
import Logging
import ModelAdapters
import Service
import ToolRuntime

/// `omega-exec serve`: the HTTP endpoint (MCP Streamable HTTP at /mcp, the credential page).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve MCP over Streamable HTTP at /mcp, and the credential page.",
        discussion: """
            Every POST /mcp needs an API key (Authorization: Bearer omx_…, from `omega-exec keys create`). \
            A tools/call from a client that accepts text/event-stream streams its progress; closing the \
            connection cancels the run. Missing credentials are entered by a human on the page at \
            PUBLIC-URL/credentials/…, never through the model. Browsers' Origin headers are checked: the \
            server's own origins and --allow-origin ones pass. Prints `listening on http://HOST:PORT` \
            on stdout once ready (the real port when --listen ends in :0); logs go to stderr \
            (OMEGA_LOG_LEVEL). SIGTERM or SIGINT cancels running tools, records their runs as cancelled \
            and exits 0.
            """
    )

    @Option(help: "HOST:PORT to listen on ([::1]:8080 for IPv6; port 0 picks a free one).")
    var listen = "127.0.0.1:8080"
    @Option(help: "The URL clients and browsers reach this server at (default http://HOST:PORT).")
    var publicURL: String?
    @Option(help: "A browser origin allowed to call the server besides its own (repeatable).")
    var allowOrigin: [String] = []
    @Option(help: "Requests per minute each API key may make (token bucket, refilled continuously).")
    var rateLimit = 600
    @Option(help: "Requests a key may make at once before the per-minute rate applies.")
    var rateBurst = 120
    @Option(
        help:
            "A JSON file choosing the chat model ({\"provider\": \"offline\"|\"openai\"|\"anthropic\", \"model\", \"baseURL\", \"keyVariable\", …}); default: <home>/model.json, else the offline planner."
    )
    var modelConfig: String?

    func run() async throws {
        _ = try ServiceSession.open()  // logging to stderr, home prepared
        let address = try CLIRequestParsing.orExit { () throws(OmegaError) in try ListenAddress.parse(listen) }
        if let publicURL {
            _ = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try WebOrigin(parsing: publicURL, field: "--public-url")
            }
        }
        for origin in allowOrigin {
            _ = try CLIRequestParsing.orExit { () throws(OmegaError) in
                try WebOrigin(parsing: origin, field: "--allow-origin")
            }
        }
        let model = try CLIRequestParsing.orExit { () throws(OmegaError) in
            try ServeCommand.modelConfiguration(path: modelConfig)
        }
        let rateLimit = try CLIRequestParsing.orExit { () throws(OmegaError) -> RateLimit in
            do throws(AccessError) {
                return try RateLimit(requestsPerMinute: self.rateLimit, burst: rateBurst)
            } catch {
                let field = error.field == "burst" ? "--rate-burst" : "--rate-limit"
                throw OmegaError(.invalidInput, "\(field): \(error.message)", details: ["field": .string(field)])
            }
        }
        var logger = Logger(label: "omega.serve")
        if ProcessInfo.processInfo.environment["OMEGA_LOG_LEVEL"] == nil { logger.logLevel = .notice }
        let server = EndpointServer(
            listen: address, publicURL: publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            allowedOrigins: allowOrigin, logger: logger
        ) { (base: String) throws(OmegaError) -> (MCPHost, APIServices?) in
            var configuration = MCPHostConfiguration(credentialPageBaseURL: base)
            configuration.serverVersion = OmegaExec.version
            let host = try MCPHost.open(host: configuration, logger: Logger(label: "omega.mcp"))
            let home = host.service.home
            let audit = AuditQueue(service: try AuditService(home: home))
            let metrics = EndpointMetrics()
            let conversations = try ConversationService(
                service: host.service, registry: host.registry, store: try ConversationService.openStore(home: home),
                model: model, observer: ConversationAudit(audit: audit, metrics: metrics),
                logger: Logger(label: "omega.conversations"))
            let api = APIServices(
                conversations: conversations, keys: host.access, limiter: RateLimiter(limit: rateLimit), auditQueue: audit,
                metrics: metrics)
            return (host, api)
        }
        do {
            try await server.run { url in CLIOutput.out("listening on \(url)\n") }
        } catch let error as OmegaError {
            throw CLIRequestParsing.exit(with: error)
        } catch {
            // The socket (address in use, no such interface, no permission for the port).
            throw CLIRequestParsing.exit(
                with: OmegaError(
                    .internalError, "cannot listen on \(address): \(error)", details: ["field": "--listen"]))
        }
    }
}

extension ServeCommand {
    /// The model configuration: `path` when given (it must exist), else `<home>/model.json` when it
    /// exists, else the offline planner.
    static func modelConfiguration(path: String?) throws(OmegaError) -> ModelConfiguration {
        let file = path ?? (OmegaHome().root + "/model.json")
        guard FileManager.default.fileExists(atPath: file) else {
            if path != nil {
                throw OmegaError(
                    .invalidInput, "--model-config: no file at \(file)", details: ["field": "--model-config"])
            }
            return .offline
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw OmegaError(.invalidInput, "--model-config: cannot read \(file)", details: ["field": "--model-config"])
        }
        let json: JSONValue
        do {
            json = try JSONParser().parse(text)
        } catch {
            throw OmegaError(
                .invalidInput, "--model-config: \(file) is not JSON: \(error.description)",
                details: ["field": "--model-config"])
        }
        return try ModelConfiguration(json: json)
    }
}
