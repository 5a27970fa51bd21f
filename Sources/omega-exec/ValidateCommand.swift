import ArgumentParser
import JSON
import Schema
import Service

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
            guard let chosen = DocumentValidation.dialect(named: dialect) else {
                CLIOutput.error("omega-exec validate: unknown dialect \"\(dialect)\" (use 2020-12 or 7)")
                throw ExitCode(2)
            }
            options.defaultDialect = chosen
        }
        let result: ValidationResult
        do {
            result = try DocumentValidation.validate(schema: schema, instance: instance, options: options)
        } catch {
            CLIOutput.error(error.description)
            throw ExitCode(2)
        }
        if json {
            CLIOutput.out(DocumentValidation.json(result).jsonText + "\n")
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
}
