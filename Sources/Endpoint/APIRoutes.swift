import Access
import Hummingbird
import JSON
import Logging
import ToolRuntime

/// Registers the `/api` routes: each passes the gate (key, rate limit), then its handler, whose
/// `OmegaError` becomes the DESIGN §5 object with its status; every response is counted and timed
/// by route (``EndpointMetrics``).
struct APIRoutes: Sendable {
    typealias Handler =
        @Sendable (Request, BasicRequestContext, APIKey, APIServices) async throws(OmegaError) -> Response

    let binding: Eventual<EndpointBinding>
    let logger: Logger

    /// Adds `handler` for `method` at `path` (Hummingbird path syntax, `:id` parameters), named `route`
    /// in metrics, logs and the audit log.
    func add(
        _ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping Handler
    ) {
        let binding = self.binding
        let logger = self.logger
        let route = "\(method.rawValue) \(path)"
        router.on(RouterPath(path), method: method) { request, context -> Response in
            guard let services = binding.current?.api else {
                return .error(OmegaError(.internalError, "the server is not ready"))
            }
            let started = ContinuousClock.now
            let response: Response
            switch APIGate(services: services, logger: logger).admit(request, route: route) {
            case .failure(let refusal):
                response = .error(refusal)
            case .success(let key):
                do throws(OmegaError) {
                    response = try await handler(request, context, key, services)
                } catch {
                    if error.code == .internalError {
                        logger.error("request failed", metadata: ["route": "\(route)", "error": "\(error.message)"])
                    }
                    response = .error(error)
                }
            }
            services.metrics.observe(route: route, status: response.status.code, since: started)
            return response
        }
    }
}
