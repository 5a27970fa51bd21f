import Foundation
import JSON
import Logging
import SystemCalls

/// The MCP stdio transport: newline-delimited JSON-RPC on two descriptors (stdin and stdout).
///
/// Only protocol goes to the output descriptor (logs go to the logger, which the CLI points at
/// stderr). Each request is handled in its own task, so a long tool call never holds up `ping`,
/// `tools/list` or the `notifications/cancelled` that stops it; writes are whole lines, one at a
/// time. A frame over the host's limit is skipped as it streams in (memory stays bounded) and
/// answered with `-32600`; the server keeps serving. At the end of input every call still running
/// is cancelled (its jail killed) and the server returns once they have ended.
public final class MCPStdioServer: Sendable {
    private let host: MCPHost
    private let input: Int32
    private let writer: LineWriter
    private let peer: MCPPeer
    private let logger: Logger

    /// A server reading `input` and writing `output` for `caller`.
    public init(host: MCPHost, input: Int32 = 0, output: Int32 = 1, caller: MCPCaller = .stdio(), logger: Logger) {
        self.host = host
        self.input = input
        self.logger = logger
        let writer = LineWriter(fd: output)
        self.writer = writer
        peer = MCPPeer(caller: caller, transport: .stdio, outbound: writer)
    }

    /// Serves until the input ends (or cannot be read), then cancels what is still running.
    public func run() async {
        let chunks = Self.readChunks(from: input)
        var reader = FrameReader(maximumBytes: host.configuration.maximumFrameBytes)
        await withTaskGroup(of: Void.self) { group in
            for await chunk in chunks {
                for frame in reader.feed(chunk) { dispatch(frame, in: &group) }
            }
            if let last = reader.finish() { dispatch(last, in: &group) }
            logger.debug("stdin closed; cancelling calls in flight")
            host.cancelAll(of: peer)
            await group.waitForAll()
        }
    }

    private func dispatch(_ frame: FrameReader.Frame, in group: inout TaskGroup<Void>) {
        let host = self.host
        let peer = self.peer
        let writer = self.writer
        switch frame {
        case .oversized(let bytes):
            group.addTask { _ = await writer.send(host.oversizedFrame(bytes: bytes).message!) }
        case .line(let bytes):
            group.addTask {
                let reply = await host.receive(bytes, from: peer)
                if let message = reply.message { _ = await writer.send(message) }
            }
        }
    }

    /// Chunks of `fd` as they arrive, read on a thread of their own (a blocking read never occupies
    /// the cooperative pool); the stream ends at end of file or on a read error.
    private static func readChunks(from fd: Int32) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(64))
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = (try? buffer.withUnsafeMutableBytes { try SystemCall.read(fd, into: $0) }) ?? 0
                if count <= 0 { break }
                // Wait while the consumer is behind (bounded memory for a flood of input).
                while case .dropped = continuation.yield(Array(buffer[0..<count])) { usleep(1000) }
            }
            continuation.finish()
        }
        thread.name = "mcp-stdin"
        thread.start()
        return stream
    }
}

/// Writes whole JSON lines to a descriptor, one message at a time.
actor LineWriter: MCPOutbound {
    private let fd: Int32
    private var closed = false

    init(fd: Int32) { self.fd = fd }

    func send(_ message: JSONValue) async -> Bool {
        guard !closed else { return false }
        var line = Array(message.jsonText.utf8)
        line.append(10)
        do {
            try line.withUnsafeBytes { try SystemCall.writeAll(fd, $0, step: "write stdout") }
            return true
        } catch {
            closed = true
            return false
        }
    }
}
