import Egress
import EgressProxy
import Testing

/// `CONNECT host:port` to a granted name: `200 Connection Established`, then raw bytes both ways.
struct ConnectTunnelTests {
    @Test func grantedConnectTunnelsBytesBothWaysAndRecordsTheirCounts() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["echo.test:\(server.port)"]), onRecord: sink.callback)

        let tool = try await ToolConnection.open(session.socketPath)
        // The first tunnel bytes ride in the same write as the head: they must not be lost.
        try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\nHost: echo.test\r\n\r\nping")
        let established = "HTTP/1.1 200 Connection Established\r\n\r\n"
        let first = try await tool.read(count: established.utf8.count + 4)
        #expect(String(decoding: first, as: UTF8.self) == established + "ping")
        try await tool.send(String(repeating: "x", count: 100_000))
        let all = try await tool.read(count: established.utf8.count + 100_004)
        #expect(all.count == established.utf8.count + 100_004)
        await tool.close()

        let records = try await sink.wait(for: 1)
        let record = try #require(records.first)
        #expect(record.method == "CONNECT")
        #expect(record.host == "echo.test")
        #expect(record.port == server.port)
        #expect(record.address == "127.0.0.1")
        #expect(record.verdict == "allowed")
        #expect(record.reason == "closed")
        #expect(record.addressRefusal == nil)
        #expect(record.bytesUp == 100_004)
        #expect(record.bytesDown == 100_004)
        let usage = await session.close()
        #expect(usage == EgressUsage(connections: 1, refused: 0, bytes: 200_008, unrecorded: 0))
    }

    @Test func theToolsEndOfInputReachesTheServerAndTheTunnelEndsClosed() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["echo.test:\(server.port)"]), onRecord: sink.callback)
        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\n")
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
        try await tool.send("last words")
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("last words") }
        try await tool.finishSending()
        let all = try await tool.readToEnd()
        #expect(tool.received.closed, "the server's close comes back through the tunnel")
        #expect(String(decoding: all, as: UTF8.self).hasSuffix("last words"))
        let record = try #require(try await sink.wait(for: 1).first)
        #expect(record.reason == "closed")
        #expect(record.bytesUp == 10)
        _ = await session.close()
    }

    @Test func bracketedIPv6AuthorityIsReadAsAnIPLiteral() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["a.test"]), onRecord: sink.callback)
        let response = try await ToolConnection.exchange(session.socketPath, "CONNECT [::1]:443 HTTP/1.1\r\n\r\n")
        #expect(statusCode(response) == 403)
        #expect(header("X-Omega-Egress", in: response) == "ip_literal")
        _ = await session.close()
        #expect(sink.all.first?.host == "[::1]")
        #expect(sink.all.first?.address == "::1")
    }
}
