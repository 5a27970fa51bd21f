import Hummingbird
import JSON
import ToolRuntime

extension Response {
    /// The DESIGN §5 object of `error` with its one HTTP status (`OmegaError.Code.httpStatus`);
    /// `Retry-After` for `RATE_LIMITED` when the error carries `retryAfterSeconds`, `WWW-Authenticate`
    /// for `UNAUTHORIZED`.
    static func error(_ error: OmegaError) -> Response { .error(error, body: error.json) }

    /// `body` (an error object, perhaps with a run id beside it) with `error`'s status and headers.
    /// `RATE_LIMITED` always carries `Retry-After` (1 s when the error does not say).
    static func error(_ error: OmegaError, body: JSONValue) -> Response {
        var headers: HTTPFields = [:]
        if error.code == .rateLimited {
            var seconds: Int64 = 1
            if case .integer(let given)? = error.details["retryAfterSeconds"], given > 0 { seconds = given }
            headers[.retryAfter] = String(seconds)
        }
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return .json(body, status: error.code.httpStatus, headers: headers)
    }
}
