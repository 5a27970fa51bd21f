import ArgumentParser
import Glibc
import JSON
import Schema


/// `omega-exec validate SCHEMA.json INSTANCE.json`: checks a JSON document against a JSON Schema.
///
/// Exit status: 0 when the instance is valid; 1 when it is not (one error per line on stderr:
/// `<instance path>: <message> (schema <schema path>)`); 2 when a file cannot be read or parsed or
/// the schema does not compile (the message names the file).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate a JSON instance against a JSON Schema (draft 2020-12 or draft-07).",
        discussion: """
            The dialect comes from the schema's $schema keyword, else --dialect, else 2020-12. \
            Exit status: 0 valid, 1 invalid, 2 bad schema or unreadable file.
            """
    )

    @Argument(help: "The JSON Schema file.") var schema: String
    @Argument(help: "The JSON document to validate.") var instance: String
    @Option(help: "Dialect when the schema has no $schema: 2020-12 or 7.") var dialect: String?
    @Flag(help: "Treat `format` as an assertion (date-time, email, uri, …) instead of an annotation.")
    var assertFormats = false
    @Flag(help: "Print the result as JSON on stdout.") var json = false

    func run() throws {
        var options = SchemaOptions()
        options.assertFormats = assertFormats
        if let dialect {
            guard let chosen = SchemaDialect(rawValue: dialect == "07" || dialect == "draft-07" ? "7" : dialect) else {
                CLIOutput.error("omega-exec validate: unknown dialect \"\(dialect)\" (use 2020-12 or 7)")
                throw ExitCode(2)
            }
            options.defaultDialect = chosen
        }
        let schemaDocument = try Self.load(schema)
        let instanceDocument = try Self.load(instance)
        let compiled: JSONSchema
        do {
            compiled = try JSONSchema.compile(schemaDocument, options: options)
        } catch {
            CLIOutput.error("\(schema): invalid schema: \(error)")
            throw ExitCode(2)
        }
        let result = compiled.validate(instanceDocument)
        if json {
            let errors: [JSONValue] = result.errors.map { error in
                .object([
                    "instancePath": .string(error.instancePath.description),
                    "schemaPath": .string(error.schemaPath.description), "message": .string(error.message),
                ])
            }
            CLIOutput.out(JSONValue.object(["valid": .bool(result.isValid), "errors": .array(errors)]).jsonText + "\n")
        } else {
            for error in result.errors {
                CLIOutput.error(
                    "\(error.instancePath.tokens.isEmpty ? "(root)" : error.instancePath.description): \(error.message) (schema \(error.schemaPath))"
                )
            }
        }
        if !result.isValid { throw ExitCode(1) }
    }

    /// Reads and parses a JSON file; exits 2 with a message naming the file when it cannot.
    private static func load(_ path: String) throws -> JSONValue {
        guard let bytes = readFile(path) else {
            CLIOutput.error("\(path): cannot read the file (\(String(cString: strerror(errno))))")
            throw ExitCode(2)
        }
        do {
            return try JSONParser().parse(bytes: bytes)
        } catch {
            CLIOutput.error("\(path): not valid JSON: \(error)")
            throw ExitCode(2)
        }
    }

    /// The whole file, through open(2)/read(2) (EINTR retried); nil with errno set on failure.
    private static func readFile(_ path: String) -> [UInt8]? {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 64 << 20 {
                errno = EFBIG
                return nil
            }
        }
    }
}
