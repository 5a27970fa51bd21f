import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@testable import Console
@testable import Endpoint

/// The web console as served: the page at its paths with a strict Content-Security-Policy, its files
/// embedded byte for byte from Sources/Console/Web, nothing else reachable, and code that never turns
/// data into markup.
@Suite(.serialized) struct ConsoleEndpointTests {
    typealias H = EndpointHarness

    static let web = OpenAPIDocumentTests.root.appendingPathComponent("Sources/Console/Web")

    /// The console's files on disk (what scripts/console-embed.sh embeds).
    static func sources() throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: web.path) where ConsoleAssets.isServable(name) {
            files[name] = Array(try Data(contentsOf: web.appendingPathComponent(name)))
        }
        return files
    }

    @Test func theEmbeddedFilesAreTheWebFolderByteForByte() throws {
        let onDisk = try Self.sources()
        let embedded = ConsoleAssets()
        #expect(
            embedded.embeddedNames == onDisk.keys.sorted(),
            "Sources/Console/ConsoleFiles.swift is stale: run scripts/console-embed.sh")
        for (name, bytes) in onDisk {
            let same = embedded.file(name)?.bytes == bytes
            #expect(same, "\(name) differs: run scripts/console-embed.sh")
        }
        #expect(onDisk[ConsoleAssets.pageName] != nil)
    }

    @Test func thePageIsServedAtItsPathsWithAStrictPolicy() async throws {
        let harness = H("console-page")
        defer { harness.remove() }
        try await harness.serveAPI { session, _ in
            let page = try #require(ConsoleAssets().file(ConsoleAssets.pageName))
            for path in ["/", "/c/7c11edee-c0bf-4c66-8193-62a0bc8b0706", "/runs", "/runs/run_01a23cd579a4d2bada5f16a1"]
            {
                let reply = try await session.request(path, method: .get)
                #expect(reply.status == .ok, "\(path)")
                #expect(reply.headers[.contentType] == "text/html; charset=utf-8")
                #expect(Array(reply.text.utf8) == page.bytes, "\(path) is the page")
                let policy = try #require(reply.headers[.contentSecurityPolicy])
                let directives = Dictionary(
                    uniqueKeysWithValues: policy.split(separator: ";").map {
                        let parts = $0.split(separator: " ").map(String.init)
                        return (parts[0], Array(parts.dropFirst()))
                    })
                #expect(directives["script-src"] == ["'self'"], "\(policy)")
                #expect(directives["style-src"] == ["'self'"], "\(policy)")
                #expect(directives["default-src"] == ["'none'"] && directives["frame-ancestors"] == ["'none'"])
                #expect(directives["connect-src"] == ["'self'"] && directives["base-uri"] == ["'none'"])
                #expect(!policy.contains("unsafe"))
                #expect(reply.headers[.xContentTypeOptions] == "nosniff")
                #expect(reply.headers[.xFrameOptions] == "DENY")
                #expect(reply.headers[.referrerPolicy] == "no-referrer")
            }
            // Revalidation: the tag answers 304 without a body.
            let first = try await session.request("/", method: .get)
            let tag = try #require(first.headers[.eTag])
            let again = try await session.request("/", method: .get, headers: ["If-None-Match": tag])
            #expect(again.status == .notModified && again.text.isEmpty)
            #expect(again.headers[.contentSecurityPolicy] != nil)
        }
    }

    @Test func eachFileHasItsTypeAndNothingElseIsReachable() async throws {
        let harness = H("console-files")
        defer { harness.remove() }
        try await harness.serveAPI { session, _ in
            for name in ConsoleAssets().embeddedNames where name != ConsoleAssets.pageName {
                let reply = try await session.request("/console/" + name, method: .get)
                #expect(reply.status == .ok, "\(name)")
                #expect(reply.headers[.contentType] == ConsoleAssets.contentType(of: name), "\(name)")
                #expect(reply.headers[.contentSecurityPolicy] == ConsoleRoutes.contentSecurityPolicy)
                #expect(reply.headers[.xContentTypeOptions] == "nosniff")
            }
            for path in [
                "/console/index.html", "/console/", "/console/../Package.swift", "/console/..%2fPackage.swift",
                "/console/%2e%2e/%2e%2e/Package.swift", "/console/TESTIDS.md", "/console/Console.JS",
                "/console/console.js.map", "/console/.hidden.js", "/c/not-a-uuid",
                "/c/7C11EDEE-C0BF-4C66-8193-62A0BC8B0706",
                "/c/../../etc/passwd", "/runs/RUN", "/runs/a%2fb", "/index.html", "/favicon.ico.php",
            ] {
                let reply = try await session.request(path, method: .get)
                #expect(reply.status == .notFound, "\(path): \(reply.status)")
                #expect(!reply.text.contains("swift-tools-version") && !reply.text.contains("root:"), "\(path)")
            }
            // The console's routes take only GET.
            let posted = try await session.request("/", method: .post, body: "{}")
            #expect(posted.status != .ok)
        }
    }

    @Test func aDevelopmentFolderServesOnlyItsOwnRegularFiles() throws {
        let root = NSTemporaryDirectory() + "omega-console-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/web", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "<!doctype html>\n".write(toFile: root + "/web/index.html", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: root + "/outside.js", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/web/link.js", withDestinationPath: root + "/outside.js")
        try FileManager.default.createDirectory(atPath: root + "/web/dir.js", withIntermediateDirectories: true)
        let assets = ConsoleAssets.fromEnvironment(["OMEGA_CONSOLE_DIR": root + "/web"])
        #expect(assets.source == .directory(root + "/web"))
        #expect(assets.file("index.html")?.bytes == Array("<!doctype html>\n".utf8))
        for name in ["link.js", "dir.js", "../outside.js", "outside.js", "index.HTML", "", ".js"] {
            #expect(assets.file(name) == nil, "\(name)")
        }
        #expect(ConsoleAssets.fromEnvironment([:]).source == .embedded)
    }

    /// The console renders tool outputs, messages and ids that any tool or user controls: its code
    /// builds DOM nodes with `textContent`, never markup from strings, and the page has no inline code.
    @Test func theConsoleNeverTurnsDataIntoMarkupOrCode() throws {
        let files = try Self.sources()
        #expect(!files.isEmpty)
        for (name, bytes) in files {
            let text = String(decoding: bytes, as: UTF8.self)
            if name.hasSuffix(".js") {
                for sink in [
                    ".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                    "setTimeout(\"", "setInterval(\"", "createContextualFragment", "DOMParser", ".srcdoc",
                    "localStorage.setItem(\"omega.key", "javascript:",
                ] {
                    #expect(!text.contains(sink), "\(name) uses \(sink)")
                }
                #expect(!text.contains("setAttribute(\"style\"") && !text.contains("setAttribute('style'"), "\(name)")
            }
            if name.hasSuffix(".html") {
                #expect(text.firstMatch(of: /<script(?![^>]*\bsrc=)[^>]*>/) == nil, "\(name): an inline script")
                #expect(text.firstMatch(of: /\son[a-z]+\s*=/) == nil, "\(name): an inline event handler")
                #expect(text.firstMatch(of: /\sstyle\s*=/) == nil && !text.contains("<style"), "\(name): inline style")
            }
        }
    }
}
