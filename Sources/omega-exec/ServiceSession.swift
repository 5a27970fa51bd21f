import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Logging
import Service
import ToolRuntime

/// The service a command uses, with Ctrl-C (SIGINT) and SIGTERM cancelling the runs it drives.
enum ServiceSession {
    /// Logging goes to stderr (stdout is the command's output), at `OMEGA_LOG_LEVEL` (default `warning`).
    private static let bootstrap: Void = {
        let level =
            ProcessInfo.processInfo.environment["OMEGA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    /// Opens the service over `OMEGA_HOME` (and the `OMEGA_*` overrides).
    static func open() throws -> OmegaService {
        _ = bootstrap
        do {
            return try OmegaService(configuration: .fromEnvironment())
        } catch {
            throw CLIRequestParsing.exit(with: error)
        }
    }

    /// Runs `body`; a SIGINT or SIGTERM meanwhile cancels every run of `service` (killing the jailed
    /// tools) so `body` returns a `CANCELLED` outcome instead of the process dying mid-run.
    static func withSignalsCancelling<T: Sendable>(_ service: OmegaService, _ body: () async -> T) async -> T {
        let sources = [SIGINT, SIGTERM].map { signalNumber -> any DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { Task { await service.cancelAll() } }
            source.resume()
            return source
        }
        defer {
            service.drain()
            for source in sources { source.cancel() }
            // Prompts between runs keep the default: Ctrl-C ends the process (a paused run stays paused).
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return await body()
    }

    /// Returns at the first SIGINT or SIGTERM (for servers: `mcp`, `serve`), or when the calling
    /// task is cancelled.
    static func waitForTermination() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGINT, SIGTERM].map { signalNumber -> any DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.finish() }
            source.resume()
            return source
        }
        for await _ in stream {}
        for source in sources { source.cancel() }
    }
}
