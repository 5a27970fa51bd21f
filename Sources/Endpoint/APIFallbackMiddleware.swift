import Hummingbird
import ToolRuntime

/// Under `/api/`, a path no route matches (or a method a path does not take) is the DESIGN §5 object
/// (`NOT_FOUND`, 404) like every other `/api` refusal, not the router's empty 404. The path is named in
/// the message with control characters removed and at most 128 characters of it.
struct APIFallbackMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let path = request.uri.path
            guard path == "/api" || path.hasPrefix("/api/") else { throw error }
            let shown = OmegaError.shown(path, limit: 128)
            return .error(
                OmegaError(
                    .notFound, "no route \(request.method.rawValue) \(shown) (the routes are in /openapi.json)",
                    details: ["field": "path"]))
        }
    }
}
