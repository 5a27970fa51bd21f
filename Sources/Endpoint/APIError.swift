import Hummingbird
import JSON
import ToolRuntime

extension Response {
    /// The DESIGN §5 object of `error` with its one HTTP status (`OmegaError.Code.httpStatus`);
    /// `Retry-After` for `RATE_LIMITED` when the error carries `retryAfterSeconds`, `WWW-Authenticate`
    /// for `UNAUTHORIZED`.
    static func error(_ error: OmegaError) -> Response {
        var headers: HTTPFields = [:]
        if error.code == .rateLimited, case .integer(let seconds)? = error.details["retryAfterSeconds"] {
            headers[.retryAfter] = String(seconds)
        }
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return .json(error.json, status: error.code.httpStatus, headers: headers)
    }
}
