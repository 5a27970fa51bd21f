import ArgumentParser
import Foundation
import JSON
import Service
import ToolRuntime

/// Parsing of the flags `try`, `runs` and `test` share: `--input JSON|@FILE` and `--env K=V`.
enum CLIRequestParsing {
    /// The input document: JSON text, `@FILE`, or `@-` for stdin; `{}` when absent.
    static func input(_ text: String?) throws(OmegaError) -> JSONValue {
        guard let text else { return .object([:]) }
        var source = text
        var origin = "--input"
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            origin = path == "-" ? "stdin" : path
            let data: Data?
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                data = FileManager.default.contents(atPath: path)
            }
            guard let data, let decoded = String(data: data, encoding: .utf8) else {
                throw OmegaError(
                    .invalidInput, "--input: cannot read \(origin) as UTF-8 text", details: ["field": "input"])
            }
            source = decoded
        }
        do {
            return try JSONParser().parse(source)
        } catch {
            throw OmegaError(
                .invalidInput, "--input: \(origin) is not one JSON document: \(error)", details: ["field": "input"])
        }
    }

    /// `--env K=V` values (names must be environment variable names).
    static func env(_ pairs: [String]) throws(OmegaError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else {
                throw OmegaError(
                    .invalidInput, "--env: expected NAME=VALUE, got a value without '='", details: ["field": "env"])
            }
            let name = String(pair[..<equals])
            guard CredentialService.isValidName(name) else {
                throw OmegaError(
                    .invalidInput, "--env: \"\(name)\" is not a variable name (expected [A-Z_][A-Z0-9_]*)",
                    details: ["field": "env"])
            }
            result[name] = String(pair[pair.index(after: equals)...])
        }
        return result
    }

    /// ``env(_:)``, or the error object printed and its exit code thrown.
    static func envOrExit(_ pairs: [String]) throws -> [String: String] {
        do {
            return try env(pairs)
        } catch {
            throw exit(with: error)
        }
    }

    /// The value `body` returns, or its error object printed and its exit code thrown.
    static func orExit<T>(_ body: () throws(OmegaError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw exit(with: error)
        }
    }

    /// Who approves from this command line: `cli:$USER` (or `cli:uid<uid>`).
    static var approver: String {
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return "cli:" + user }
        return "cli:uid\(getuid())"
    }

    /// Prints `error` as the wire error object on stdout and exits with its code.
    static func exit(with error: OmegaError) -> ExitCode {
        CLIOutput.out(error.json.prettyText + "\n")
        return ExitCode(error.code.exitCode)
    }
}
