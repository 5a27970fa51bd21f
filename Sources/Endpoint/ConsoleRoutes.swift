import Console
import Conversations
import Hummingbird
import RunStorage

/// The web console (issue 13): the page at `/` and at the paths it routes itself (`/c/{conversation}`,
/// `/runs`, `/runs/{run}`), its files at `/console/{file}`. Everything it shows comes from the `/api`
/// routes with the key the person signs in with; these routes need no key (they serve no data).
///
/// Every answer carries a Content-Security-Policy that allows scripts, styles and connections from this
/// origin only (no inline script or style, no `eval`, no framing, no plugins), `nosniff`, `DENY` framing
/// and no referrer; files are revalidated by `ETag` (`no-cache`), so a new build is picked up at once.
enum ConsoleRoutes {
    /// The policy of every console answer.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        + "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        + "object-src 'none'"

    static func register(_ router: Router<BasicRequestContext>, assets: ConsoleAssets) {
        let page: @Sendable (Request) -> Response = { request in
            serve(assets.file(ConsoleAssets.pageName), request: request)
        }
        router.get("/") { request, _ in page(request) }
        router.get("/runs") { request, _ in page(request) }
        router.get("/c/:id") { request, context in
            ConversationService.isUUID(context.parameters.get("id") ?? "") ? page(request) : notFound
        }
        router.get("/runs/:id") { request, context in
            RunRecord.isWellFormedID(context.parameters.get("id") ?? "") ? page(request) : notFound
        }
        router.get("/console/:file") { request, context in
            let name = context.parameters.get("file") ?? ""
            // The page itself is served only at its paths (a single place for its headers' logic).
            guard name != ConsoleAssets.pageName, let file = assets.file(name) else { return notFound }
            return serve(file, request: request)
        }
    }

    /// `file` with the console's headers; 304 when the request's `If-None-Match` names its tag.
    static func serve(_ file: ConsoleAssets.File?, request: Request) -> Response {
        guard let file else { return notFound }
        var headers = securityHeaders
        headers[.eTag] = file.etag
        headers[.cacheControl] = "no-cache"
        let validators = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if validators.contains(file.etag) || validators.contains("*") {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static var securityHeaders: HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff", .xFrameOptions: "DENY",
            .referrerPolicy: "no-referrer", .crossOriginOpenerPolicy: "same-origin",
            .crossOriginResourcePolicy: "same-origin",
        ]
    }

    static var notFound: Response {
        var headers = securityHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .notFound, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "not found\n")))
    }
}

extension HeaderName {
    /// `Cross-Origin-Opener-Policy`.
    static let crossOriginOpenerPolicy = HeaderName("Cross-Origin-Opener-Policy")!
    /// `Cross-Origin-Resource-Policy`.
    static let crossOriginResourcePolicy = HeaderName("Cross-Origin-Resource-Policy")!
}
