import Foundation
import JSON
import Testing

@testable import Endpoint

/// The contract served at `GET /openapi.json`: the committed docs/openapi.json, embedded byte for byte
/// (scripts/openapi-embed.sh), and in step with the routes the endpoint registers.
struct OpenAPIDocumentTests {
    /// The repository's root (this file is Tests/EndpointTests/OpenAPIDocumentTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func document() throws -> JSONValue {
        try JSONParser().parse(OpenAPIDocument.text)
    }

    @Test func theEmbeddedTextIsDocsOpenapiJSONByteForByte() throws {
        let committed = Array(try Data(contentsOf: Self.root.appendingPathComponent("docs/openapi.json")))
        let embedded = Array(OpenAPIDocument.text.utf8)
        // The first byte that differs (or the shorter length), so a failure says where, not both texts.
        let difference =
            zip(embedded, committed).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? (embedded.count == committed.count ? nil : min(embedded.count, committed.count))
        #expect(
            difference == nil,
            """
            Sources/Endpoint/OpenAPIDocument.swift (\(embedded.count) bytes) differs from docs/openapi.json \
            (\(committed.count) bytes) from byte \(difference ?? 0): run scripts/openapi-embed.sh
            """)
    }

    @Test func itIsAnOpenAPI31Document() throws {
        let document = try Self.document()
        #expect(document["openapi"]?.stringValue == "3.1.0")
        #expect(OpenAPIDocument.text.contains("\n  \"openapi\": \"3.1.0\",\n"))
        #expect(document["info"]?["title"]?.stringValue == "Omega Exec")
        // The appliance's version (`OmegaExec.version`, in the executable target this test cannot import).
        let cli = try Self.text("Sources/omega-exec/OmegaExec.swift")
        let version = try #require(cli.firstMatch(of: /static let version = "([^"]+)"/)).1
        #expect(document["info"]?["version"]?.stringValue == String(version))
        #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"]?.stringValue == "bearer")
    }

    /// `(METHOD, /path/{id})` of every `api.add(router, .method, path)` in the two route files.
    static func registeredRoutes() throws -> [(method: String, path: String)] {
        var routes: [(method: String, path: String)] = []
        for file in ["Sources/Endpoint/ConversationRoutes.swift", "Sources/Endpoint/RunRoutes.swift"] {
            let source = try text(file)
            var base: String?
            if let match = source.firstMatch(of: /let base = "([^"]+)"/) { base = String(match.1) }
            let calls = source.matches(of: /api\.add\(\s*router,\s*\.([a-z]+),\s*([^{]+?)\s*\)\s*\{/)
            #expect(calls.count == source.matches(of: /api\.add\(/).count, "every api.add in \(file) is read")
            for call in calls {
                let argument = String(call.2)
                var path: String
                if let literal = argument.firstMatch(of: /^"([^"]+)"$/) {
                    path = String(literal.1)
                } else if let joined = argument.firstMatch(of: /^base(?:\s*\+\s*"([^"]*)")?$/), let base {
                    path = base + (joined.1.map(String.init) ?? "")
                } else {
                    Issue.record("cannot read the path of \(call.0) in \(file)")
                    continue
                }
                path = path.replacing(/:([A-Za-z]+)/) { "{\($0.1)}" }
                routes.append((call.1.uppercased(), path))
            }
        }
        return routes
    }

    @Test func everyRegisteredRouteIsDescribedAndNothingElse() throws {
        let routes = try Self.registeredRoutes()
        #expect(routes.count >= 15)
        let paths = try #require(try Self.document()["paths"]?.objectValue)
        for route in routes {
            let operation = paths[route.path]?[route.method.lowercased()]
            #expect(operation != nil, "\(route.method) \(route.path) is not in docs/openapi.json")
            #expect(operation?["operationId"]?.stringValue?.isEmpty == false, "\(route.method) \(route.path)")
            // Every /api operation requires the bearer key and documents the gate's refusals.
            #expect(operation?["security"] == [["bearerAuth": []]], "\(route.method) \(route.path)")
            for status in ["401", "429", "500"] {
                #expect(operation?["responses"]?[status] != nil, "\(route.method) \(route.path) lacks \(status)")
            }
        }
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var described: [String] = []
        for (path, item) in paths where path.hasPrefix("/api/") {
            for method in (item.objectValue ?? [:]).keys where methods.contains(method) {
                described.append("\(method.uppercased()) \(path)")
            }
        }
        let registered = Set(routes.map { "\($0.method) \($0.path)" })
        for operation in described {
            #expect(registered.contains(operation), "\(operation) is described but not registered")
        }
        for path in ["/healthz", "/metrics", "/openapi.json"] {
            #expect(paths[path]?["get"] != nil, "GET \(path)")
        }
    }

    @Test func operationIdsAreUniqueAndReferencesResolve() throws {
        let document = try Self.document()
        var ids: [String] = []
        for (_, item) in document["paths"]?.objectValue ?? [:] {
            for (_, operation) in item.objectValue ?? [:] {
                if let id = operation["operationId"]?.stringValue { ids.append(id) }
            }
        }
        #expect(Set(ids).count == ids.count)
        let references = OpenAPIDocument.text.matches(of: /"\$ref": "#\/components\/([a-zA-Z]+)\/([A-Za-z0-9]+)"/)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(
                document["components"]?[String(reference.1)]?[String(reference.2)] != nil,
                "\(reference.0) does not resolve")
        }
    }
}
