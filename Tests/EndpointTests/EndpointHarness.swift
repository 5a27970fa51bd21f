import Access
import AgentHost
import Conversations
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import Endpoint

/// The endpoint over a fresh home, served on a free loopback port through HummingbirdTesting's live
/// framework (a real HTTP/1.1 connection, so a closed connection is what the server really sees).
struct EndpointHarness: Sendable {
    let root: String
    let home: OmegaHome
    let allowedOrigins: [String]

    init(_ label: String, allowedOrigins: [String] = ["https://app.example.com"]) {
        root = Fixture.directory(label)
        home = OmegaHome(root: root + "/home")
        self.allowedOrigins = allowedOrigins
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// A new API key for `user`: its id and secret.
    func key(_ name: String = "test", user: String = "local") throws -> (id: String, secret: String) {
        let created = try KeyService(home: home).create(name: name, user: user)
        return (created.key.id, created.secret)
    }

    /// Installs (unsigned) a tool that sleeps `seconds` seconds, as `fixture.sleeper`.
    func installSleeper(seconds: Int) throws {
        let folder = Fixture.package(
            in: root, folder: "sleeper", id: "fixture.sleeper", script: "cat >/dev/null\nsleep \(seconds)\necho '{}'\n",
            timeoutSeconds: 120)
        _ = try PackageService(home: home).install(folder, trustedKeys: nil, allowUnsigned: true, force: false)
    }

    /// Serves for `body`; every call still running afterwards is cancelled.
    func serve<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        var logger = Logger(label: "endpoint-test")
        logger.logLevel = .critical
        let runtime = RuntimeConfiguration(home: home)
        let server = EndpointServer(
            listen: ListenAddress(host: "localhost", port: 0), publicURL: nil, allowedOrigins: allowedOrigins,
            logger: logger
        ) { (url: String) throws(OmegaError) -> MCPHost in
            try MCPHost.open(configuration: runtime, host: MCPHostConfiguration(credentialPageBaseURL: url))
        }
        let binding = Eventual<EndpointBinding>()
        let application = server.application(binding: binding, onFailure: { _ in }, onListening: { _ in })
        let value = try await application.test(.live) { client in
            let bound = try #require(await binding.value)
            return try await body(
                Session(client: client, host: bound.host, port: client.port ?? 0, publicURL: bound.publicURL))
        }
        await binding.current?.host.shutdown()
        return value
    }

    /// An HTTP response as the tests read it.
    /// Serves with the `/api` routes too (conversations over the offline model, a rate limit of
    /// `requestsPerMinute` with `burst`, the audit log in the home).
    func serveAPI<T: Sendable>(
        requestsPerMinute: Int = 600, burst: Int = 120, _ body: @Sendable (Session, APIServices) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "endpoint-test")
        logger.logLevel = .critical
        let runtime = RuntimeConfiguration(home: home)
        let limit = try RateLimit(requestsPerMinute: requestsPerMinute, burst: burst)
        let server = EndpointServer(
            listen: ListenAddress(host: "localhost", port: 0), publicURL: nil, allowedOrigins: allowedOrigins,
            logger: logger
        ) { (url: String) throws(OmegaError) -> (MCPHost, APIServices?) in
            let host = try MCPHost.open(configuration: runtime, host: MCPHostConfiguration(credentialPageBaseURL: url))
            let audit = AuditQueue(service: try AuditService(home: runtime.home))
            let metrics = EndpointMetrics()
            let conversations = try ConversationService(
                service: host.service, registry: host.registry,
                store: try ConversationService.openStore(home: runtime.home),
                observer: ConversationAudit(audit: audit, metrics: metrics))
            return (
                host,
                APIServices(
                    conversations: conversations, keys: host.access, limiter: RateLimiter(limit: limit), auditQueue: audit,
                    metrics: metrics)
            )
        }
        let binding = Eventual<EndpointBinding>()
        let application = server.application(binding: binding, onFailure: { _ in }, onListening: { _ in })
        let value = try await application.test(.live) { client in
            let bound = try #require(await binding.value)
            let api = try #require(bound.api)
            return try await body(
                Session(client: client, host: bound.host, port: client.port ?? 0, publicURL: bound.publicURL), api)
        }
        await binding.current?.api?.conversations.cancelAll()
        await binding.current?.host.shutdown()
        return value
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String
    }

    /// One running server, as a client sees it.
    struct Session: Sendable {
        let client: any TestClientProtocol
        let host: MCPHost
        let port: Int
        let publicURL: String

        /// Sends one request on a connection of its own (a streamed call ends its connection).
        func request(
            _ path: String, method: HTTPRequest.Method, headers: [String: String] = [:], body: String? = nil
        ) async throws -> Reply {
            let request = TestClient.Request(
                path, method: method, headers: Self.fields(headers), body: body.map { ByteBuffer(string: $0) })
            let response = try await TestClient.withClient(host: "localhost", port: port) { client in
                try await client.execute(request)
            }
            return Reply(
                status: response.head.status, headers: response.head.headerFields,
                text: response.body.map { String(buffer: $0) } ?? "")
        }

        /// `POST /mcp` with `body`, the key as a bearer token (nil: none), and JSON and SSE accepted.
        func mcp(
            _ body: String, key: String?, accept: String? = "application/json, text/event-stream",
            contentType: String? = "application/json", headers extra: [String: String] = [:]
        ) async throws -> Reply {
            var fields: [String: String] = extra
            if let key { fields["Authorization"] = "Bearer " + key }
            if let accept { fields["Accept"] = accept }
            if let contentType { fields["Content-Type"] = contentType }
            return try await request("/mcp", method: .post, headers: fields, body: body)
        }

        /// `POST /mcp` with a JSON-RPC message.
        func mcp(
            _ message: JSONValue, key: String?, accept: String? = "application/json, text/event-stream",
            headers: [String: String] = [:]
        ) async throws -> Reply {
            try await mcp(message.jsonText, key: key, accept: accept, headers: headers)
        }

        /// The runs the home has recorded.
        func runs() throws -> [(id: String, status: String, toolID: String)] {
            try host.service.runs().map { ($0.id, $0.status.rawValue, $0.toolID) }
        }

        static func fields(_ values: [String: String]) -> HTTPFields {
            var fields = HTTPFields()
            for (name, value) in values.sorted(by: { $0.key < $1.key }) { fields[HeaderName(name)!] = value }
            return fields
        }
    }

    // MARK: Messages

    static let modernVersion = "2026-07-28"

    /// A 2026-07-28 request (the `_meta` envelope with `capabilities`, plus `progressToken` when given).
    static func modern(
        id: Int64, _ method: String, _ params: [String: JSONValue] = [:], capabilities: JSONValue = [:],
        progressToken: JSONValue? = nil
    ) -> JSONValue {
        var meta: [String: JSONValue] = [
            MCPProtocol.protocolVersionKey: .string(modernVersion), MCPProtocol.clientCapabilitiesKey: capabilities,
        ]
        if let progressToken { meta["progressToken"] = progressToken }
        var params = params
        params["_meta"] = .object(meta)
        return ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": .object(params)]
    }

    /// The headers a 2026-07-28 client sends beside the envelope.
    static let modernHeaders = ["MCP-Protocol-Version": modernVersion]

    /// The body as text.
    static func text(_ response: Reply) -> String { response.text }

    /// The body as JSON.
    static func json(_ response: Reply) throws -> JSONValue { try JSONParser().parse(response.text) }

    /// The messages of an SSE body (`data:` of each event), in order.
    static func events(_ text: String) throws -> [JSONValue] {
        var messages: [JSONValue] = []
        for block in text.components(separatedBy: "\n\n") {
            let data = block.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }
            guard !data.isEmpty else { continue }
            messages.append(try JSONParser().parse(data.joined(separator: "\n")))
        }
        return messages
    }
}
