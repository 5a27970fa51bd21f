import Egress
import EgressProxy
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

    @Test func connectionsOverTheRunTotalAre429() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]) { $0.maxConnections = 3 }, onRecord: sink.callback
        )
        var statuses: [Int?] = []
        for _ in 0..<5 {
            statuses.append(
                statusCode(try await ToolConnection.exchange(session.socketPath, "CONNECT b.test:443 HTTP/1.1\r\n\r\n"))
            )
        }
        #expect(statuses == [403, 403, 403, 429, 429])
        let usage = await session.close()
        #expect(usage == EgressUsage(connections: 5, refused: 5, bytes: 0, unrecorded: 0))
        #expect(
            sink.all.map(\.reason) == ["not_granted", "not_granted", "not_granted", "connection_cap", "connection_cap"])
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
        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\nabc")
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("abc") }
        let started = ContinuousClock.now
        _ = try await tool.readToEnd()
        #expect(tool.received.closed)
        #expect(ContinuousClock.now - started < .seconds(3))
        let record = try #require(try await sink.wait(for: 1).first)
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
