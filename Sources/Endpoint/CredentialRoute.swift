import AgentHost
import Foundation
import Hummingbird
import Logging
import ToolRuntime

/// `GET` and `POST /credentials/{ticket}`: the page where a human enters the credentials a paused run
/// misses. No API key: the sealed ticket in the path is the capability (it names the run, the user
/// and the variables, expires, and works once). Values go to the vault through the host and appear
/// in no response and no log.
struct CredentialRoute: Sendable {
    /// The largest form read (bytes).
    static let maximumFormBytes = 64 << 10

    let logger: Logger

    /// The form, or the error page (401) for a bad or expired ticket.
    func show(ticket token: String, host: MCPHost) -> Response {
        do {
            let ticket = try host.credentialRequest(ticket: token)
            return .html(CredentialPage.form(ticket, nowMs: Self.nowMs()), status: .ok)
        } catch {
            return failure(error)
        }
    }

    /// Stores the submitted values; the page after saving, or the error page (400 naming the field,
    /// 401 for a bad, expired or used ticket, 413 and 415 for bodies it does not read).
    func submit(_ request: Request, ticket token: String, host: MCPHost) async -> Response {
        guard let type = request.headers[.contentType],
            MediaType.essence(of: type) == "application/x-www-form-urlencoded"
        else {
            return .html(
                CredentialPage.error(
                    title: "Unsupported form", "The form must be sent as application/x-www-form-urlencoded."),
                status: .unsupportedMediaType)
        }
        let bytes: [UInt8]
        do {
            switch try await BoundedBody.read(request, limit: Self.maximumFormBytes) {
            case .complete(let body): bytes = body
            case .tooLarge:
                return .html(
                    CredentialPage.error(title: "Form too large", "The form is larger than 64 KiB."),
                    status: .contentTooLarge)
            }
        } catch {
            return .html(CredentialPage.error(title: "Incomplete form", "The form ended early."), status: .badRequest)
        }
        guard let pairs = FormURLEncoded.decode(bytes) else {
            return .html(
                CredentialPage.error(title: "Unreadable form", "The form is not valid URL-encoded UTF-8."),
                status: .badRequest)
        }
        var values: [String: String] = [:]
        for pair in pairs {
            guard values[pair.name] == nil else {
                return failure(
                    OmegaError(.invalidInput, "\(pair.name) was sent twice", details: ["field": .string(pair.name)]))
            }
            values[pair.name] = pair.value
        }
        do {
            let ticket = try host.submitCredentials(ticket: token, values: values)
            return .html(CredentialPage.saved(ticket), status: .ok)
        } catch {
            return failure(error)
        }
    }

    /// The error page for `error`, with its status (401 for `UNAUTHORIZED`, 400 for `INVALID_INPUT`…).
    private func failure(_ error: OmegaError) -> Response {
        let title: String
        switch error.code {
        case .unauthorized: title = "This link does not work"
        case .invalidInput: title = "Check the values"
        default:
            title = "Something went wrong"
            logger.error("the credential page failed", metadata: ["code": "\(error.code.rawValue)"])
        }
        return .html(
            CredentialPage.error(title: title, error.message), status: HTTPResponse.Status(code: error.code.httpStatus))
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
