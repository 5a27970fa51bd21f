import AgentHost
import ArgumentParser
import Endpoint
import Foundation
import Logging
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
        var logger = Logger(label: "omega.serve")
        if ProcessInfo.processInfo.environment["OMEGA_LOG_LEVEL"] == nil { logger.logLevel = .notice }
        let server = EndpointServer(
            listen: address, publicURL: publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            allowedOrigins: allowOrigin, logger: logger
        ) { (base: String) throws(OmegaError) -> MCPHost in
            var configuration = MCPHostConfiguration(credentialPageBaseURL: base)
            configuration.serverVersion = OmegaExec.version
            return try MCPHost.open(host: configuration, logger: Logger(label: "omega.mcp"))
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
