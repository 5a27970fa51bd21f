import Egress
import EgressProxy
import Glibc
import Testing

/// A run's session: its socket file, its own grant beside other runs', and its end.
struct SessionLifecycleTests {
    func fileMode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode
    }

    @Test func closeEndsALiveTunnelRemovesTheSocketAndIsIdempotent() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["echo.test:\(server.port)"]), onRecord: sink.callback)
        let mode = try #require(fileMode(session.socketPath))
        #expect(mode & S_IFMT == S_IFSOCK)
        #expect(mode & 0o777 == 0o666)

        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\nlive")
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("live") }
        // A connection still sending its head is ended too.
        let slow = try await ToolConnection.open(session.socketPath)
        try await slow.send("CONNECT echo.te")
        try await Task.sleep(for: .milliseconds(50))

        let usage = await session.close()
        #expect(sink.all.count == 2, "every record is delivered before close returns")
        _ = try await tool.readToEnd()
        #expect(tool.received.closed)
        #expect(fileMode(session.socketPath) == nil, "the socket file is removed")
        let tunnel = try #require(sink.all.first { $0.method == "CONNECT" })
        #expect(tunnel.reason == "run_ended")
        #expect(tunnel.verdict == "allowed")
        #expect(tunnel.bytesUp == 4)
        #expect(tunnel.bytesDown == 4)
        let unfinished = try #require(sink.all.first { $0.method == "" })
        #expect(unfinished.reason == "run_ended")
        #expect(unfinished.verdict == "refused")
        #expect(usage == EgressUsage(connections: 2, refused: 1, bytes: 8, unrecorded: 0))
        #expect(await session.close() == usage)
        await #expect(throws: (any Error).self) { try await ToolConnection.open(session.socketPath) }
        await slow.close()
    }

    @Test func twoSessionsAtOnceEachKeepTheirOwnGrant() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let proxy = EgressProxy(
            resolver: TableResolver(["a.test": [loopback], "b.test": [loopback]]), refusal: allowTestLoopback)
        let sinkA = RecordSink()
        let sinkB = RecordSink()
        let first = try await proxy.open(
            socketPath: folder.socket("a.sock"), grant: try grant(["a.test:\(server.port)"]), onRecord: sinkA.callback)
        let second = try await proxy.open(
            socketPath: folder.socket("b.sock"), grant: try grant(["b.test:\(server.port)"]), onRecord: sinkB.callback)

        async let aToA = ToolConnection.exchange(
            first.socketPath, "CONNECT a.test:\(server.port) HTTP/1.1\r\n\r\n", seconds: 1)
        async let aToB = ToolConnection.exchange(first.socketPath, "CONNECT b.test:\(server.port) HTTP/1.1\r\n\r\n")
        async let bToB = ToolConnection.exchange(
            second.socketPath, "CONNECT b.test:\(server.port) HTTP/1.1\r\n\r\n", seconds: 1)
        async let bToA = ToolConnection.exchange(second.socketPath, "CONNECT a.test:\(server.port) HTTP/1.1\r\n\r\n")
        let (aa, ab, bb, ba) = try await (aToA, aToB, bToB, bToA)
        #expect(statusCode(aa) == 200)
        #expect(statusCode(ab) == 403)
        #expect(statusCode(bb) == 200)
        #expect(statusCode(ba) == 403)
        _ = await first.close()
        _ = await second.close()
        #expect(sinkA.all.map(\.host).sorted() == ["a.test", "b.test"])
        #expect(sinkA.all.first { $0.host == "b.test" }?.reason == "not_granted")
        #expect(sinkB.all.first { $0.host == "a.test" }?.reason == "not_granted")
        #expect(sinkB.all.first { $0.host == "b.test" }?.verdict == "allowed")
    }

    @Test func aSocketPathLongerThanASocketAddressIsBoundThroughTheFolder() async throws {
        let folder = SocketDirectory()
        var path = folder.path
        while path.utf8.count < 100 {
            path += "/" + String(repeating: "d", count: 20)
            #expect(mkdir(path, 0o700) == 0)
        }
        path += "/" + String(repeating: "s", count: 150 - path.utf8.count - 1)
        #expect(path.utf8.count == 150)
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["echo.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: path, grant: try grant(["echo.test:\(server.port)"]), onRecord: sink.callback)
        #expect(session.socketPath == path)
        #expect(fileMode(path).map { $0 & 0o777 } == 0o666)
        let tool = try await ToolConnection.open(path)
        try await tool.send("CONNECT echo.test:\(server.port) HTTP/1.1\r\n\r\nlong")
        let reply = try await tool.read { String(decoding: $0, as: UTF8.self).hasSuffix("long") }
        #expect(String(decoding: reply, as: UTF8.self) == "HTTP/1.1 200 Connection Established\r\n\r\nlong")
        await tool.close()
        _ = await session.close()
        #expect(fileMode(path) == nil)
    }

    @Test func unusablePathsAreRefusedWithTheirCode() async throws {
        let folder = SocketDirectory()
        let proxy = EgressProxy(resolver: TableResolver([:]))
        let existing = folder.socket("taken")
        let file = fopen(existing, "w")
        fclose(file)
        let empty = try grant([])
        for (path, code) in [
            ("relative.sock", "EGRESS_SOCKET_PATH"), (folder.path + "/", "EGRESS_SOCKET_PATH"),
            (existing, "EGRESS_BIND"), (folder.path + "/missing/x.sock", "EGRESS_BIND"),
        ] {
            do {
                _ = try await proxy.open(socketPath: path, grant: empty, onRecord: { _ in })
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.code == code, "\(path): \(error)")
            }
        }
        #expect(fileMode(existing).map { $0 & S_IFMT } == S_IFREG, "an existing file is left alone")
    }
}
