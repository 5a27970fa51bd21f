import Hummingbird
import ToolRuntime

/// DNS-rebinding protection: a request whose `Origin` is not one the endpoint accepts is refused with
/// 403 before any route sees it (see ``OriginPolicy``): a JSON-RPC error, or the credential page's
/// error page under `/credentials/`. It also holds requests accepted before the
/// endpoint is ready (the host opening) and answers 503 if it never is.
struct OriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let binding: Eventual<EndpointBinding>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let bound = await binding.value else {
            return .rpcError(
                status: 503, code: -32603, reason: "unavailable",
                "the server is not ready: its host could not be opened")
        }
        let origins = request.headers[values: .origin]
        guard origins.count <= 1, bound.origins.allows(origins.first) else {
            if request.uri.path.hasPrefix("/credentials/") {
                return .html(
                    CredentialPage.error(
                        title: "Wrong address",
                        "This form was sent from a page this server does not serve; open the link your agent gave you."),
                    status: .forbidden)
            }
            if request.uri.path.hasPrefix("/api/") {
                return .error(
                    OmegaError(
                        .policyDenied, "this Origin is not allowed; start the server with --allow-origin to allow it",
                        details: ["field": "Origin"]))
            }
            return .rpcError(
                status: 403, code: -32600, reason: "forbidden_origin",
                "this Origin is not allowed; start the server with --allow-origin to allow it")
        }
        return try await next(request, context)
    }
}
