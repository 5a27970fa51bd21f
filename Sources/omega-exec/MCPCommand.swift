import AgentHost
import ArgumentParser
import Foundation
import Logging
import Service
import ToolRuntime

/// `omega-exec mcp`: the agent host over stdio, for an MCP client that starts it as a subprocess.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP over stdio (2026-07-28 natively, 2025-11-25 through initialize).",
        discussion: """
            Reads newline-delimited JSON-RPC on stdin and writes only protocol on stdout; logs go to \
            stderr (OMEGA_LOG_LEVEL). Offers registry_search, registry_execute, plan and every pinned \
            tool. A run that needs credentials points the client at the credential page of \
            `omega-exec serve` (--credential-page, or OMEGA_SERVE_URL); without one, the client gets \
            the MISSING_ENV_VARS object and can pass env. SIGINT or SIGTERM cancels running tools \
            and exits once their runs are recorded.
            """
    )

    @Option(help: "The base URL of `omega-exec serve` whose /credentials page takes missing credentials.")
    var credentialPage: String?
    @Option(help: "The user the calls are made for (vault scope user:NAME, pins).") var user = "local"

    func run() async throws {
        _ = try ServiceSession.open()  // logging to stderr, home prepared
        var hostConfiguration = MCPHostConfiguration(
            credentialPageBaseURL: credentialPage ?? ProcessInfo.processInfo.environment["OMEGA_SERVE_URL"])
        hostConfiguration.serverVersion = OmegaExec.version
        let host = try CLIRequestParsing.orExit { () throws(OmegaError) in
            try MCPHost.open(host: hostConfiguration, logger: Logger(label: "omega.mcp"))
        }
        let server = MCPStdioServer(host: host, caller: .stdio(user: user), logger: Logger(label: "omega.mcp.stdio"))
        await ServiceSession.withSignalsCancelling(host.service) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await server.run() }
                group.addTask { await ServiceSession.waitForTermination() }
                await group.next()
                group.cancelAll()
            }
            await host.shutdown()
        }
    }
}
