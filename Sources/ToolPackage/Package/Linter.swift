import JSON
import Schema
/// Checks a package before it is packed or installed.
///
/// Checks, with their codes:
/// - the manifest exists and decodes (`MANIFEST_MISSING`, `INVALID_MANIFEST`, `ENV_INVALID` for `env`
///   problems: names must match `^[A-Z_][A-Z0-9_]*$` and be unique);
/// - the package folder holds only regular files and directories within limits (the extraction
///   codes, e.g. `ARCHIVE_SYMLINK`);
/// - `input`/`output` compile as JSON Schemas (`SCHEMA_INVALID`); an input schema whose `type` is not
///   `object` is a warning (`INPUT_NOT_OBJECT`, MCP requires object inputs);
/// - every example's input validates against `input` (`EXAMPLE_INPUT_INVALID`) and every example
///   output (exact or illustrative) against `output` (`EXAMPLE_OUTPUT_INVALID`); no examples is a
///   warning (`NO_EXAMPLES`);
/// - for `sandbox_job`, `command[0]` is a file of the package (executable: `PROGRAM_NOT_EXECUTABLE`)
///   or a runtime program found on the host under ``runtimeDirectories`` (the jail binds `/usr`
///   read-only) (`PROGRAM_MISSING`); an absolute program outside `/usr` and `/bin` is refused
///   (`PROGRAM_OUTSIDE_RUNTIME`); later arguments that look like package files (a relative path with
///   `/`, or a script extension such as `.py`, `.sh`, `.js`) must exist in the package
///   (`SCRIPT_MISSING`); arguments after `-c`, `-m` or `-e` are code or module names and are skipped;
/// - risk and scopes agree: `externalWrite` needs a write scope (`write_*` or `send_*`) and `readOnly`
///   forbids one (`RISK_SCOPE_MISMATCH`, errors); high risk without `externalWrite` and a write scope
///   without `externalWrite` are warnings (`HIGH_RISK_READ_ONLY_EFFECTS`, `WRITE_SCOPE_WITHOUT_EXTERNAL_WRITE`).
public struct Linter: Sendable {
    /// Where runtime programs (`python3`, `sh`, `node`) are looked up on the host.
    public var runtimeDirectories: [String] = ["/usr/local/bin", "/usr/bin", "/bin"]
    /// Limits for extracting archives and scanning folders.
    public var limits: ExtractionLimits

    /// A linter.
    public init(limits: ExtractionLimits = .init()) { self.limits = limits }

    /// File extensions of scripts an argument is checked for.
    public static let scriptExtensions: Set<String> = [
        "py", "sh", "bash", "js", "mjs", "cjs", "ts", "rb", "pl", "lua", "php", "r", "jl", "awk", "sed",
    ]

    /// Lints a package folder or `.tar.gz` (extracted safely into a temporary directory that is
    /// removed afterwards). An archive the extractor refuses is reported as an error issue.
    ///
    /// - Throws: only when the package cannot be read at all (`IO_ERROR`, `ARCHIVE_ERROR`).
    public func lint(_ package: String) throws(PackageError) -> LintReport {
        guard let info = try PackageFS.lstat(package) else {
            throw PackageError(.io, "\(package): no such file or directory", path: package)
        }
        if info.kind == .directory { return lint(folder: package, displayName: package) }
        let temp = try PackageFS.makeTemporaryDirectory(in: PackageFS.temporaryDirectory, prefix: "omega-lint-")
        defer { PackageFS.removeTree(temp) }
        do {
            try PackageExtractor(limits: limits).extract(archive: package, into: temp + "/package")
        } catch  where !error.isOperational {
            return LintReport(
                package: package, manifest: nil,
                issues: [LintIssue(.error, error.code.rawValue, path: error.path ?? package, error.message)])
        }
        return lint(folder: temp + "/package", displayName: package)
    }

    /// Lints an extracted package folder.
    public func lint(folder: String, displayName: String? = nil) -> LintReport {
        let name = displayName ?? folder
        var issues: [LintIssue] = []
        var files: [String: PackageFile] = [:]
        do {
            for file in try PackageContents.scan(folder: folder, limits: limits) { files[file.path] = file }
        } catch {
            issues.append(LintIssue(.error, error.code.rawValue, path: error.path ?? name, error.message))
        }
        guard let manifestInfo = try? PackageFS.lstat(folder + "/" + ToolManifest.fileName),
            manifestInfo.kind == .regular
        else {
            issues.append(
                LintIssue(
                    .error, "MANIFEST_MISSING", path: ToolManifest.fileName,
                    "missing (every package has an omega.json at its root)"))
            return LintReport(package: name, manifest: nil, issues: issues)
        }
        let manifest: ToolManifest
        do {
            let text = try PackageFS.readText(folder + "/" + ToolManifest.fileName, limit: 4 << 20)
            manifest = try ToolManifest.decode(text: text, file: ToolManifest.fileName)
        } catch let error as ManifestError {
            for issue in error.issues {
                let code = issue.pointer.tokens.first == "env" ? "ENV_INVALID" : ManifestError.code
                issues.append(LintIssue(.error, code, path: issue.path, issue.message))
            }
            return LintReport(package: name, manifest: nil, issues: issues)
        } catch {
            issues.append(LintIssue(.error, "MANIFEST_UNREADABLE", path: ToolManifest.fileName, "\(error)"))
            return LintReport(package: name, manifest: nil, issues: issues)
        }
        issues += schemaIssues(manifest)
        issues += commandIssues(manifest, files: files)
        issues += riskIssues(manifest)
        return LintReport(package: name, manifest: manifest, issues: issues)
    }

    // MARK: - Schemas and examples

    func schemaIssues(_ manifest: ToolManifest) -> [LintIssue] {
        var issues: [LintIssue] = []
        func compile(_ schema: JSONValue, field: String) -> JSONSchema? {
            do {
                return try JSONSchema.compile(schema)
            } catch {
                let at = JSONPointer(tokens: [field] + error.schemaPath.tokens).dotted
                issues.append(
                    LintIssue(.error, "SCHEMA_INVALID", path: at, "does not compile as a JSON Schema: \(error.message)")
                )
                return nil
            }
        }
        let input = compile(manifest.input, field: "input")
        let output = manifest.output.flatMap { compile($0, field: "output") }
        if let type = manifest.input["type"], type != "object" {
            issues.append(
                LintIssue(
                    .warning, "INPUT_NOT_OBJECT", path: "input.type",
                    "expected \"object\" (MCP tools take an object as input)"))
        } else if manifest.input["type"] == nil {
            issues.append(
                LintIssue(
                    .warning, "INPUT_NOT_OBJECT", path: "input",
                    "expected \"type\": \"object\" (MCP tools take an object as input)"))
        }
        if manifest.examples.isEmpty {
            issues.append(
                LintIssue(
                    .warning, "NO_EXAMPLES", path: "examples",
                    "no examples; add at least one so the package can be tested"))
        }
        for (i, example) in manifest.examples.enumerated() {
            let base = JSONPointer(tokens: ["examples", String(i)])
            if let input {
                for error in input.validate(example.input).errors.prefix(10) {
                    let at = JSONPointer(tokens: base.appending("input").tokens + error.instancePath.tokens)
                    issues.append(
                        LintIssue(
                            .error, "EXAMPLE_INPUT_INVALID", path: at.dotted,
                            "example \"\(example.name)\": \(error.message) (schema input\(error.schemaPath))"))
                }
            }
            if let output, let value = example.output {
                for error in output.validate(value).errors.prefix(10) {
                    let at = JSONPointer(tokens: base.appending("output").tokens + error.instancePath.tokens)
                    issues.append(
                        LintIssue(
                            .error, "EXAMPLE_OUTPUT_INVALID", path: at.dotted,
                            "example \"\(example.name)\": \(error.message) (schema output\(error.schemaPath))"))
                }
            }
        }
        return issues
    }

    // MARK: - The command

    func commandIssues(_ manifest: ToolManifest, files: [String: PackageFile]) -> [LintIssue] {
        guard let command = manifest.execution.command, let program = command.first else { return [] }
        var issues: [LintIssue] = []
        let at = "execution.command[0]"
        if program.hasPrefix("/") {
            if !(program.hasPrefix("/usr/") || program.hasPrefix("/bin/")) {
                issues.append(
                    LintIssue(
                        .error, "PROGRAM_OUTSIDE_RUNTIME", path: at,
                        "\(program): the jail provides only /usr and /bin (read-only); expected a program there or a file in the package"
                    ))
            } else if !isHostExecutable(program) {
                issues.append(
                    LintIssue(
                        .error, "PROGRAM_MISSING", path: at,
                        "\(program) does not exist (or is not executable) on this host"))
            }
        } else {
            let relative = Self.normalize(program)
            if let file = files[relative] {
                if !file.executable {
                    issues.append(
                        LintIssue(
                            .error, "PROGRAM_NOT_EXECUTABLE", path: at,
                            "\(relative) is in the package but not executable (chmod +x it)"))
                }
            } else if program.contains("/") {
                issues.append(LintIssue(.error, "PROGRAM_MISSING", path: at, "\(program) is not a file in the package"))
            } else if !runtimeDirectories.contains(where: { isHostExecutable($0 + "/" + program) }) {
                issues.append(
                    LintIssue(
                        .error, "PROGRAM_MISSING", path: at,
                        "\(program) is neither a file in the package nor a program under \(runtimeDirectories.joined(separator: ", ")) on this host"
                    ))
            }
        }
        for (i, argument) in command.enumerated().dropFirst() {
            if ["-c", "-m", "-e", "--eval"].contains(argument) { break }
            guard Self.looksLikePackageFile(argument) else { continue }
            let relative = Self.normalize(argument)
            if files[relative] == nil {
                issues.append(
                    LintIssue(
                        .error, "SCRIPT_MISSING", path: "execution.command[\(i)]",
                        "\(argument) is not a file in the package"))
            }
        }
        return issues
    }

    func isHostExecutable(_ path: String) -> Bool {
        guard let info = PackageFS.statFollowing(path), info.kind == .regular else { return false }
        return PackageFS.isExecutable(path)
    }

    static func normalize(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
    }

    /// Whether a command argument names a file of the package: not an option, not absolute, no `=`,
    /// and either a relative path with `/` or a name with a script extension.
    static func looksLikePackageFile(_ argument: String) -> Bool {
        guard !argument.hasPrefix("-"), !argument.hasPrefix("/"), !argument.contains("="), !argument.contains(" ")
        else { return false }
        if argument.contains("/") { return true }
        guard let dot = argument.lastIndex(of: "."), dot != argument.startIndex else { return false }
        return scriptExtensions.contains(String(argument[argument.index(after: dot)...]).lowercased())
    }

    // MARK: - Risk and scopes

    func riskIssues(_ manifest: ToolManifest) -> [LintIssue] {
        var issues: [LintIssue] = []
        let writes = manifest.writeScopes
        if manifest.risk.externalWrite && writes.isEmpty {
            issues.append(
                LintIssue(
                    .error, "RISK_SCOPE_MISMATCH", path: "risk.externalWrite",
                    "externalWrite is true but no write scope (write_* or send_*) is declared in scopes"))
        }
        if manifest.risk.readOnly && !writes.isEmpty {
            issues.append(
                LintIssue(
                    .error, "RISK_SCOPE_MISMATCH", path: "risk.readOnly",
                    "readOnly is true but scopes include \(writes.joined(separator: ", "))"))
        }
        if manifest.risk.level == .high && !manifest.risk.externalWrite {
            issues.append(
                LintIssue(
                    .warning, "HIGH_RISK_READ_ONLY_EFFECTS", path: "risk.level",
                    "risk is high but externalWrite is false; is the level right?"))
        }
        if !writes.isEmpty && !manifest.risk.externalWrite && !manifest.risk.readOnly {
            issues.append(
                LintIssue(
                    .warning, "WRITE_SCOPE_WITHOUT_EXTERNAL_WRITE", path: "scopes",
                    "scopes include \(writes.joined(separator: ", ")) but externalWrite is false"))
        }
        return issues
    }
}
