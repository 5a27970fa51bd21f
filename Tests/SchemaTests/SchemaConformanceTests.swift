import Foundation
import JSON
import Testing

@testable import Schema

/// Runs every required case of the official JSON-Schema-Test-Suite (draft 2020-12 and draft-07) from
/// `../shared/json-schema-test-suite/`, with `remotes/` registered as `http://localhost:1234/…`.
/// Each draft must pass at least 99%, and the failures must be exactly ``knownFailures`` (also listed
/// in docs/CONFORMANCE.md): a new failure or a listed case that now passes fails the test.
@Suite struct Conformance {
    /// `draft/file/group description/test description` of the cases known to fail, with the reason
    /// in docs/CONFORMANCE.md.
    static let knownFailures: Set<String> = [
    ]

    @Test func draft2020_12() throws {
        try runRequired(draft: "draft2020-12", dialect: .draft2020_12)
    }

    @Test func draft7() throws {
        try runRequired(draft: "draft7", dialect: .draft7)
    }

    /// Informational: the optional format tests with format assertion on (never fails).
    @Test func optionalFormatsInformational() throws {
        guard let suite = SuiteFiles.root else { return SuiteFiles.reportSkip() }
        for (draft, dialect) in [("draft2020-12", SchemaDialect.draft2020_12), ("draft7", .draft7)] {
            var options = SchemaOptions()
            options.defaultDialect = dialect
            options.assertFormats = true
            let outcome = try SuiteFiles.run(
                directory: suite.appendingPathComponent("tests/\(draft)/optional/format"), draft: draft,
                options: options)
            print("conformance \(draft) optional/format (assertFormats): \(outcome.passed)/\(outcome.total) passed")
            for (file, counts) in outcome.perFile.sorted(by: { $0.key < $1.key }) {
                print("  \(draft) optional/format/\(file): \(counts.passed)/\(counts.total)")
            }
        }
    }

    private func runRequired(draft: String, dialect: SchemaDialect) throws {
        guard let suite = SuiteFiles.root else { return SuiteFiles.reportSkip() }
        var options = SchemaOptions()
        options.defaultDialect = dialect
        let outcome = try SuiteFiles.run(directory: suite.appendingPathComponent("tests/\(draft)"), draft: draft,
            options: options)
        let percent = Double(outcome.passed) * 100 / Double(max(outcome.total, 1))
        print("conformance \(draft): \(outcome.passed)/\(outcome.total) passed (\(String(format: "%.2f", percent))%)")
        let known = Conformance.knownFailures.filter { $0.hasPrefix(draft + "/") }
        let unexpected = outcome.failures.subtracting(known)
        let fixed = known.subtracting(outcome.failures)
        for failure in unexpected.sorted() { print("  UNEXPECTED failure: \(failure)") }
        for failure in fixed.sorted() { print("  listed as known but now passes: \(failure)") }
        #expect(outcome.total > 0)
        #expect(percent >= 99, "\(draft): \(outcome.passed)/\(outcome.total) is below 99%")
        #expect(unexpected.isEmpty, "\(draft): failures not in knownFailures: \(unexpected.sorted())")
        #expect(fixed.isEmpty, "\(draft): knownFailures entries that now pass: \(fixed.sorted())")
    }
}

/// Locating and running the suite's files.
enum SuiteFiles {
    /// `<package>/../shared/json-schema-test-suite`, when present.
    static let root: URL? = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let suite = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/json-schema-test-suite")
        return FileManager.default.fileExists(atPath: suite.appendingPathComponent("tests").path) ? suite : nil
    }()

    static func reportSkip() {
        print("SKIPPED: the JSON-Schema-Test-Suite is not at ../shared/json-schema-test-suite (beside the package)")
    }

    /// `remotes/` registered under `http://localhost:1234/`, built once.
    static let registry: SchemaRegistry = {
        let registry = SchemaRegistry()
        guard let root else { return registry }
        let remotes = root.appendingPathComponent("remotes")
        let enumerator = FileManager.default.enumerator(at: remotes, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "json", let data = try? Data(contentsOf: url),
                let document = try? JSONParser().parse(bytes: Array(data))
            else { continue }
            let relative = url.path.dropFirst(remotes.path.count + 1)
            try? registry.register(document, uri: "http://localhost:1234/\(relative)")
        }
        return registry
    }()

    struct Outcome {
        var passed = 0
        var total = 0
        var failures: Set<String> = []
        /// file name → (passed, total)
        var perFile: [String: (passed: Int, total: Int)] = [:]
    }

    /// Runs every `*.json` file directly in `directory` (not its subfolders).
    static func run(directory: URL, draft: String, options: SchemaOptions) throws -> Outcome {
        var outcome = Outcome()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
            .sorted()
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let groups = try JSONParser().parse(bytes: Array(data))
            let name = String(file.dropLast(5))
            for group in groups.arrayValue ?? [] {
                let groupDescription = group["description"]?.stringValue ?? "?"
                let schema = group["schema"] ?? .bool(true)
                var compiled: JSONSchema?
                var compileError: String?
                do {
                    compiled = try JSONSchema.compile(schema, options: options, registry: registry)
                } catch {
                    compileError = error.description
                }
                for test in group["tests"]?.arrayValue ?? [] {
                    let testDescription = test["description"]?.stringValue ?? "?"
                    let key = "\(draft)/\(name)/\(groupDescription)/\(testDescription)"
                    outcome.total += 1
                    outcome.perFile[name, default: (0, 0)].total += 1
                    let expected = test["valid"]?.boolValue ?? false
                    guard let compiled else {
                        outcome.failures.insert(key)
                        print("  [\(key)] compile error: \(compileError ?? "")")
                        continue
                    }
                    let result = compiled.validate(test["data"] ?? .null)
                    let quick = compiled.isValid(test["data"] ?? .null)
                    if result.isValid == expected && quick == expected {
                        outcome.passed += 1
                        outcome.perFile[name, default: (0, 0)].passed += 1
                    } else {
                        outcome.failures.insert(key)
                    }
                }
            }
        }
        return outcome
    }
}
