import Egress
import EgressProxy
import Testing

/// After resolution: internal addresses are refused (every address of the answer is checked, on every
/// connection), and lookups and connections that fail say so.
struct AddressRefusalTests {
    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("169.254.169.254", "metadata"), ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
    ])
    func namesResolvingToInternalAddressesAreRefusedByTheDefaultPolicy(address: String, refusal: String) async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let resolved = try #require(IPAddress(address))
        let proxy = EgressProxy(resolver: TableResolver(["inside.test": [resolved]]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["inside.test"]), onRecord: sink.callback)
        let response = try await ToolConnection.exchange(session.socketPath, "CONNECT inside.test:443 HTTP/1.1\r\n\r\n")
        #expect(statusCode(response) == 403)
        #expect(header("X-Omega-Egress", in: response) == "address_refused")
        #expect(!response.contains(resolved.description), "the tool is not told the internal address")
        _ = await session.close()
        let record = try #require(sink.all.first)
        #expect(record.reason == "address_refused")
        #expect(record.addressRefusal == refusal)
        #expect(record.address == resolved.description)
        #expect(record.verdict == "refused")
    }

    @Test func aNameMixingPublicAndPrivateAddressesIsRefused() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let answer = [IPAddress("8.8.8.8")!, IPAddress("10.0.0.1")!]
        let proxy = EgressProxy(resolver: TableResolver(["mixed.test": answer]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["mixed.test"]), onRecord: sink.callback)
        let response = try await ToolConnection.exchange(session.socketPath, "CONNECT mixed.test:443 HTTP/1.1\r\n\r\n")
        #expect(statusCode(response) == 403)
        _ = await session.close()
        #expect(sink.all.first?.reason == "address_refused")
        #expect(sink.all.first?.address == "10.0.0.1")
        #expect(sink.all.first?.addressRefusal == "private")
    }

    @Test func rebindingToAnInternalAddressOnTheNextLookupIsRefused() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        defer { Task { await server.close() } }
        let sink = RecordSink()
        // 127.0.0.1 stands for "public" here (the test policy allows it); 127.0.0.2 is loopback.
        let resolver = TableResolver(sequence: ["rebind.test": [[loopback], [IPAddress("127.0.0.2")!]]])
        let proxy = EgressProxy(resolver: resolver, refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["rebind.test:\(server.port)"]), onRecord: sink.callback)

        let first = try await ToolConnection.open(session.socketPath)
        try await first.send("CONNECT rebind.test:\(server.port) HTTP/1.1\r\n\r\n")
        let established = try await first.read { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
        #expect(statusCode(String(decoding: established, as: UTF8.self)) == 200)
        await first.close()

        let second = try await ToolConnection.exchange(
            session.socketPath, "CONNECT rebind.test:\(server.port) HTTP/1.1\r\n\r\n")
        #expect(statusCode(second) == 403)
        #expect(header("X-Omega-Egress", in: second) == "address_refused")
        _ = await session.close()
        #expect(resolver.lookups.withLock { $0 } == 2)
        let reasons = sink.all.map(\.reason).sorted()
        #expect(reasons == ["address_refused", "closed"])
        #expect(server.accepted == 1)
    }

    @Test func aNameThatDoesNotResolveIs502() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["empty.test": []]))
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["nowhere.test", "empty.test"]), onRecord: sink.callback)
        for name in ["nowhere.test", "empty.test"] {
            let response = try await ToolConnection.exchange(session.socketPath, "CONNECT \(name):443 HTTP/1.1\r\n\r\n")
            #expect(statusCode(response) == 502)
            #expect(header("X-Omega-Egress", in: response) == "resolve_failed")
        }
        _ = await session.close()
        #expect(sink.all.map(\.reason) == ["resolve_failed", "resolve_failed"])
    }

    @Test func aClosedPortIs502Quickly() async throws {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let port = try await UpstreamServer.closedPort()
        let proxy = EgressProxy(resolver: TableResolver(["down.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["down.test:\(port)"]), onRecord: sink.callback)
        let response = try await ToolConnection.exchange(
            session.socketPath, "CONNECT down.test:\(port) HTTP/1.1\r\n\r\n")
        #expect(statusCode(response) == 502)
        #expect(header("X-Omega-Egress", in: response) == "connect_failed")
        _ = await session.close()
        #expect(sink.all.first?.reason == "connect_failed")
        #expect(sink.all.first?.address == "127.0.0.1")
        // Quickly by the proxy's own clock (the test's can lag behind a busy pool in a parallel run).
        #expect((sink.all.first?.durationMs ?? .max) < 3000)
    }
}
