import JSON
/// One finding of the linter.
public struct LintIssue: Sendable, Hashable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable, Hashable {
        /// The package must not be packed or installed.
        case error
        /// Worth fixing; does not block.
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// A stable code (`SCRIPT_MISSING`, `RISK_SCOPE_MISMATCH`, …).
    public var code: String
    /// Where: a dotted manifest path (`execution.command[1]`) or a package file path.
    public var path: String
    /// What is wrong and what was expected.
    public var message: String

    /// An issue.
    public init(_ severity: Severity, _ code: String, path: String, _ message: String) {
        self.severity = severity
        self.code = code
        self.path = path
        self.message = message
    }

    /// `error   [CODE] path: message`.
    public var description: String {
        "\(severity == .error ? "error  " : "warning") [\(code)] \(path): \(message)"
    }

    /// `{"severity", "code", "path", "message"}`.
    public var json: JSONValue {
        [
            "severity": .string(severity.rawValue), "code": .string(code), "path": .string(path),
            "message": .string(message),
        ]
    }
}

/// What the linter found in one package.
public struct LintReport: Sendable, Hashable {
    /// The package linted (folder or archive).
    public var package: String
    /// The manifest, when it decoded.
    public var manifest: ToolManifest?
    /// Every finding, errors first.
    public var issues: [LintIssue]

    /// A report.
    public init(package: String, manifest: ToolManifest?, issues: [LintIssue]) {
        self.package = package
        self.manifest = manifest
        self.issues = issues.filter { $0.severity == .error } + issues.filter { $0.severity == .warning }
    }

    /// The errors.
    public var errors: [LintIssue] { issues.filter { $0.severity == .error } }
    /// The warnings.
    public var warnings: [LintIssue] { issues.filter { $0.severity == .warning } }
    /// Whether any error was found (packing and installing refuse such packages).
    public var hasErrors: Bool { issues.contains { $0.severity == .error } }

    /// Human output: a header line, one line per issue, a summary line.
    public var text: String {
        var lines: [String] = []
        if let manifest {
            lines.append("\(package): \(manifest.id)@\(manifest.version)")
        } else {
            lines.append("\(package):")
        }
        lines += issues.map { "  \($0)" }
        let e = errors.count
        let w = warnings.count
        lines.append(
            e == 0 && w == 0
                ? "ok: no problems found"
                : "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// JSON output: `{"package", "valid", "id", "version", "errors", "warnings", "issues": [...]}`.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "package": .string(package), "valid": .bool(!hasErrors), "errors": .integer(Int64(errors.count)),
            "warnings": .integer(Int64(warnings.count)), "issues": .array(issues.map(\.json)),
        ]
        if let manifest {
            object["id"] = .string(manifest.id)
            object["version"] = .string(manifest.version.description)
        }
        return .object(object)
    }
}
