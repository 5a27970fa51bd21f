import Foundation
import Glibc
import JSON
import TestSupport
import Testing

/// `omega-exec serve`, run through the built binary like a user would: it reports its port, serves
/// MCP over HTTP, and on SIGTERM cancels the tool it is running, records the run as cancelled and
/// exits 0.
@Suite(.serialized) struct ServeCLITests {
    /// A bare loopback TCP client: enough to send one request and keep the connection open.
    final class Connection: @unchecked Sendable {
        let fd: Int32

        init?(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if fd < 0 || connected != 0 {
                Glibc.close(fd)
                return nil
            }
        }

        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                == bytes.count
        }

        /// What arrived within `timeout` seconds (or until the server closed the connection).
        func drain(timeout: Double) -> String {
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 50) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                data += buffer[0..<count]
            }
            return String(decoding: data, as: UTF8.self)
        }

        deinit { Glibc.close(fd) }
    }

    func runs(home: String) async throws -> [JSONValue] {
        let listed = try await OmegaCLI.run(["runs", "list", "--json"], home: home)
        return listed.json?.arrayValue ?? []
    }

    @Test func sigtermCancelsTheRunningToolRecordsItAndExitsZero() async throws {
        let root = Fixture.directory("cli-serve")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let created = try await OmegaCLI.run(["keys", "create", "--name", "t", "--json"], home: home)
        let secret = try #require(created.json?["secret"]?.stringValue, "\(created)")
        let folder = Fixture.package(
            in: root, folder: "sleeper", id: "fixture.serve_sleeper", script: "cat >/dev/null\nsleep 29\necho '{}'\n",
            timeoutSeconds: 120)
        let installed = try await OmegaCLI.run(["install", folder, "--allow-unsigned"], home: home)
        #expect(installed.status == 0, "\(installed)")

        let server = try OmegaCLI.launch(["serve", "--listen", "127.0.0.1:0"], home: home)
        var port: Int?
        let listening = await OmegaCLI.poll(timeout: 20) {
            let out = String(
                decoding: FileManager.default.contents(atPath: server.scratch + "/stdout") ?? Data(), as: UTF8.self)
            guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://127.0.0.1:") })
            else { return false }
            port = Int(line.split(separator: ":").last ?? "")
            return true
        }
        guard listening, let port, port > 0 else {
            server.signal(SIGKILL)
            Issue.record("no port reported: \(await server.wait(timeout: 5))")
            return
        }

        let body: JSONValue = [
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": [
                "name": "registry_execute", "arguments": ["toolId": "fixture.serve_sleeper", "input": [:]],
                "_meta": [
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": [:], "progressToken": "t",
                ],
            ],
        ]
        let text = body.jsonText
        let connection = try #require(Connection(port: port))
        #expect(
            connection.send(
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(secret)\r\n"
                    + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                    + "MCP-Protocol-Version: 2026-07-28\r\nContent-Length: \(text.utf8.count)\r\n\r\n" + text))
        let started = try await OmegaCLI.poll(timeout: 20) {
            try await runs(home: home).contains { $0["status"] == "running" && $0["toolId"] == "fixture.serve_sleeper" }
                && !OmegaCLI.processes(matching: "sleep 29").isEmpty
        }
        #expect(started, "the tool did not start")

        let signalled = Date()
        server.signal(SIGTERM)
        let result = await server.wait(timeout: 20)
        let seconds = Date().timeIntervalSince(signalled)
        #expect(result.status == 0, "\(result)")
        #expect(seconds < 5, "exited \(seconds) s after SIGTERM")
        #expect(result.stdout == "listening on http://127.0.0.1:\(port)\n", "\(result)")
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        let stream = connection.drain(timeout: 1)
        #expect(stream.hasPrefix("HTTP/1.1 200"), "\(stream.prefix(300))")
        #expect(stream.contains("tool.started"))

        let recorded = try await runs(home: home)
        #expect(recorded.count == 1)
        #expect(recorded.first?["status"] == "cancelled", "\(recorded.first?.jsonText ?? "no run")")
        #expect(OmegaCLI.processes(matching: "sleep 29").isEmpty)
    }

    @Test func aBadListenAddressExits65NamingTheField() async throws {
        let root = Fixture.directory("cli-serve-bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (arguments, field) in [
            (["serve", "--listen", "127.0.0.1"], "--listen"), (["serve", "--listen", "[::1]:99999"], "--listen"),
            (["serve", "--public-url", "ftp://x"], "--public-url"),
            (["serve", "--allow-origin", "not an origin"], "--allow-origin"),
        ] {
            let result = try await OmegaCLI.run(arguments, home: root + "/home", timeout: 30)
            #expect(result.status == 65, "\(result)")
            #expect(result.json?["details"]?["field"]?.stringValue == field, "\(result)")
        }
    }
}
