import Egress
import EgressProxy
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Per-run caps: connections at once and in total, bytes, idle time, records.
struct CapTests {
    @Test func concurrentConnectionsOverTheCapAre429AndOtherSessionsStillServe() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let otherSink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket("a.sock"),
            grant: try grant(["echo.test:\(server.port)"]) { $0.maxConcurrentConnections = 2 }, onRecord: sink.callback)
        let other = try await proxy.open(
            socketPath: folder.socket("b.sock"), grant: try grant(["echo.test:\(server.port)"]),
            onRecord: otherSink.callback)

        var tunnels: [ToolConnection] = []
        for _ in 0..<2 {
            let tool = try await ToolConnection.open(session.socketPath)
            try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\n")
            let reply = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
            #expect(statusCode(String(decoding: reply, as: UTF8.self)) == 200)
            tunnels.append(tool)
        }
        let third = try await ToolConnection.exchange(
            session.socketPath, "CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\n")
        #expect(statusCode(third) == 429)
        #expect(header("X-Omega-Egress", in: third) == "connection_cap")

        // The other run is not affected.
        let elsewhere = try await ToolConnection.open(other.socketPath)
        try await elsewhere.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\nhi")
        let echoed = try await elsewhere.read { String(decoding: $0, as: UTF8.self).hasSuffix("hi") }
        #expect(String(decoding: echoed, as: UTF8.self).hasSuffix("\r\n\r\nhi"))
        await elsewhere.close()

        // A slot freed is a slot usable again.
        await tunnels[0].close()
        _ = try await sink.wait(for: 2)
        let again = try await ToolConnection.open(session.socketPath)
        try await again.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\n")
        let reply = try await again.read { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
        #expect(statusCode(String(decoding: reply, as: UTF8.self)) == 200)

        let usage = await session.close()
        #expect(usage.connections == 4)
        #expect(usage.refused == 1)
        #expect(sink.all.filter { $0.reason == "connection_cap" }.count == 1)
        #expect(sink.all.filter { $0.reason == "run_ended" }.count == 2)
        _ = await other.close()
    }

    @Test func theListenerClosesOnceTheRunTotalIsAccepted() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]) { $0.maxConnections = 3 }, onRecord: sink.callback
        )
        var statuses: [Int?] = []
        for _ in 0..<3 {
            statuses.append(
                statusCode(try await ToolConnection.exchange(session.socketPath, "CONNECT b.test:443 HTTP/1.1\r\n\r\n"))
            )
        }
        #expect(statuses == [403, 403, 403])
        // Over the total, connecting fails in the kernel: no fd, no handler, no linger on the proxy's side.
        for _ in 0..<3 {
            await #expect(throws: (any Error).self) { try await ToolConnection.open(session.socketPath) }
        }
        let usage = await session.close()
        #expect(usage == EgressUsage(connections: 3, refused: 3, bytes: 0, unrecorded: 0))
        #expect(sink.all.map(\.reason) == ["not_granted", "not_granted", "not_granted"])
    }

    @Test func aConnectionOverTheConcurrentCapIsClosedWithoutALongLinger() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]) { $0.maxConcurrentConnections = 1 },
            onRecord: sink.callback)
        let holder = try await ToolConnection.open(session.socketPath)
        // A tool that never closes its side: only the proxy's own close ends the connection.
        let capped = try await ToolConnection.open(session.socketPath, halfClosure: true)
        let answer = try await capped.read { String(decoding: $0, as: UTF8.self).hasSuffix("\n\n") || $0.count > 200 }
        #expect(statusCode(String(decoding: answer, as: UTF8.self)) == 429)
        let record = try #require(try await sink.wait(for: 1).first)
        #expect(record.reason == "connection_cap")
        // By the proxy's own clock (the test's can lag behind a busy pool in a parallel run).
        #expect(record.durationMs < 1000, "a capped connection is not held for the 2 s linger")
        await capped.close()
        await holder.close()
        _ = await session.close()
    }

    @Test func cappedConnectionsAnsweredAtOnceAreBoundedAndTheRestClosedSilently() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]) { $0.maxConcurrentConnections = 1 },
            onRecord: sink.callback)
        let holder = try await ToolConnection.open(session.socketPath)
        let count = 40
        let tools = try await withThrowingTaskGroup(of: ToolConnection.self) { group in
            for _ in 0..<count {
                group.addTask { try await ToolConnection.open(session.socketPath, halfClosure: true) }
            }
            return try await group.reduce(into: [ToolConnection]()) { $0.append($1) }
        }
        let records = try await sink.wait(for: count)
        #expect(records.count == count)
        #expect(records.allSatisfy { $0.reason == "connection_cap" })
        var answered = 0
        for tool in tools {
            let bytes = try await tool.read(seconds: 2) { $0.count > 0 }
            if statusCode(String(decoding: bytes, as: UTF8.self)) == 429 { answered += 1 }
            await tool.close()
        }
        #expect(answered >= 1)
        #expect(answered < count, "some capped connections are closed without a 429 while 16 are being answered")
        await holder.close()
        let usage = await session.close()
        #expect(usage.connections == count + 1)
    }

    @Test func aSessionRunsAtMostTwoLookupsAtOnce() async throws {
        let folder = SocketDirectory()
        let resolver = GateResolver()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: resolver)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["hang.test:443"]) { $0.connectTimeoutSeconds = 0.3 },
            onRecord: sink.callback)
        // Lookups that never answer: each connection gives up after its connect timeout, but the first two
        // lookups keep their slots, and the third connection never gets one.
        for _ in 0..<3 {
            let answer = try await ToolConnection.exchange(session.socketPath, "CONNECT hang.test:443 HTTP/1.1\r\n\r\n")
            #expect(statusCode(answer) == 502)
            #expect(header("X-Omega-Egress", in: answer) == "resolve_failed")
        }
        #expect(resolver.calls == 2)
        // Once the lookups return, their slots are free again (tried until a lookup starts: the released
        // lookups end on the proxy's threads, which a busy parallel run may delay past one attempt).
        resolver.release()
        var attempts = 0
        while resolver.calls < 3 && attempts < 20 {
            let later = try await ToolConnection.exchange(session.socketPath, "CONNECT hang.test:443 HTTP/1.1\r\n\r\n")
            #expect(statusCode(later) == 502)
            attempts += 1
        }
        #expect(resolver.calls == 3)
        _ = await session.close()
        #expect(sink.all.map(\.reason).allSatisfy { $0 == "resolve_failed" })
    }

    @Test func theByteCapCutsATunnelMidTransferAndRefusesLaterConnections() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.stream(bytes: 4 << 20)
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["bulk.test": [loopback]]), refusal: allowTestLoopback)
        let cap: UInt64 = 256 << 10
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["bulk.test:\(server.port)"]) { $0.maxBytes = cap },
            onRecord: sink.callback)
        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send("CONNECT bulk.test:\(server.port) HTTP/1.1\r\n\r\ngo")
        let received = try await tool.readToEnd()
        #expect(received.count < 1 << 20, "cut long before the 4 MiB were through")
        let records = try await sink.wait(for: 1)
        let record = try #require(records.first)
        #expect(record.reason == "byte_cap")
        #expect(record.verdict == "allowed")
        #expect(record.bytesUp + record.bytesDown == cap)
        #expect(record.bytesDown > cap - (64 << 10))

        let later = try await ToolConnection.exchange(
            session.socketPath, "CONNECT bulk.test:\(server.port) HTTP/1.1\r\n\r\n")
        #expect(statusCode(later) == 403)
        #expect(header("X-Omega-Egress", in: later) == "byte_cap")
        let usage = await session.close()
        #expect(usage.bytes == cap)
        #expect(usage.refused == 1)
    }

    @Test func anIdleTunnelIsClosed() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["echo.test:\(server.port)"]) { $0.idleTimeoutSeconds = 0.5 },
            onRecord: sink.callback)
        let tool = try await ToolConnection.open(
            session.socketPath, initial: Array("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\nabc".utf8))
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("abc") }
        _ = try await tool.readToEnd()
        #expect(tool.received.closed)
        let record = try #require(try await sink.wait(for: 1).first)
        #expect(record.durationMs < 3000, "closed after 0.5 s idle, by the proxy's own clock")
        #expect(record.reason == "idle_timeout")
        #expect(record.verdict == "allowed")
        #expect(record.bytesUp == 3)
        _ = await session.close()
    }

    @Test func recordsStopAtMaxRecordsAndTheRestAreCounted() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]) { $0.maxRecords = 2 }, onRecord: sink.callback)
        for _ in 0..<5 {
            _ = try await ToolConnection.exchange(session.socketPath, "CONNECT b.test:443 HTTP/1.1\r\n\r\n")
        }
        let usage = await session.close()
        #expect(sink.all.count == 2)
        #expect(usage == EgressUsage(connections: 5, refused: 5, bytes: 0, unrecorded: 3))
    }
}

/// A resolver whose lookups hang until ``release()``, then fail (and later ones fail at once).
final class GateResolver: EgressResolver {
    private let state = Mutex<(calls: Int, released: Bool, waiting: [EventLoopPromise<[IPAddress]>])>((0, false, []))

    struct NotFound: Error {}

    var calls: Int { state.withLock { $0.calls } }

    func resolve(host: String) async throws -> [IPAddress] {
        try await resolve(host: host, on: MultiThreadedEventLoopGroup.singleton.any()).get()
    }

    /// Counted at once on the proxy's loop (no task hop); answers (with NotFound) only once released.
    func resolve(host: String, on loop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        let promise = loop.makePromise(of: [IPAddress].self)
        let now = state.withLock { state -> Bool in
            state.calls += 1
            if state.released { return true }
            state.waiting.append(promise)
            return false
        }
        if now { promise.fail(NotFound()) }
        return promise.futureResult
    }

    func release() {
        let waiting = state.withLock { state -> [EventLoopPromise<[IPAddress]>] in
            state.released = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for promise in waiting { promise.fail(NotFound()) }
    }
}
