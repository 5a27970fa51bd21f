import JSON
/// A compiled JSON Schema (draft 2020-12 or draft-07): compile once, validate many instances.
///
/// Compilation resolves every `$ref` (local, `$anchor`, `$id`-based and registered remote
/// documents), precompiles patterns and turns keywords into an instruction tree. Validation then
/// allocates little: no error text is built unless an error is reported. A schema cannot make
/// validation hang or crash: reference cycles that do not consume the instance are reported as
/// errors, recursion is bounded, and a step budget stops runaway (exponential) schemas.
public final class JSONSchema: Sendable {
    private let program: SchemaProgram
    private let options: SchemaOptions

    private init(program: SchemaProgram, options: SchemaOptions) {
        self.program = program
        self.options = options
    }

    /// Compiles `schema`.
    ///
    /// The dialect comes from `$schema`, else from `options.defaultDialect`.
    ///
    /// - Parameters:
    ///   - schema: the schema document (an object or a boolean).
    ///   - options: dialect, format assertion and the error limit.
    ///   - registry: documents that remote `$ref`s may name; none are ever fetched.
    /// - Returns: the compiled schema, safe to share between threads.
    /// - Throws: ``SchemaError`` (`SCHEMA_INVALID`) for a malformed keyword, an unresolvable
    ///   reference (the message names the URI), a pattern that does not compile or is refused as
    ///   hostile, or nesting deeper than 512 levels.
    public static func compile(_ schema: JSONValue, options: SchemaOptions = .init(), registry: SchemaRegistry? = nil)
        throws(SchemaError) -> JSONSchema
    {
        let compiler = SchemaCompiler(options: options, registry: registry)
        return JSONSchema(program: try compiler.compile(schema), options: options)
    }

    /// The dialect the schema was compiled as.
    public var dialect: SchemaDialect { program.dialect }

    /// Validates `instance`.
    ///
    /// - Parameter instance: the value to check.
    /// - Returns: the errors (instance path, keyword location, message), at most
    ///   ``SchemaOptions/maximumErrors``, sorted by instance path; none when valid.
    public func validate(_ instance: JSONValue) -> ValidationResult {
        var evaluator = SchemaEvaluator(program: program, maximumErrors: options.maximumErrors)
        if evaluator.run(instance, report: true) { return ValidationResult(errors: []) }
        var errors = evaluator.errors
        if errors.isEmpty {
            errors.append(ValidationError(instancePath: JSONPointer(), schemaPath: JSONPointer(), message: "the value does not match the schema"))
        }
        errors.sort { a, b in
            if a.instancePath != b.instancePath { return a.instancePath < b.instancePath }
            if a.schemaPath != b.schemaPath { return a.schemaPath < b.schemaPath }
            return a.message < b.message
        }
        return ValidationResult(errors: errors)
    }

    /// True when `instance` is valid; faster than ``validate(_:)`` for invalid instances because it
    /// stops at the first failure and builds no messages.
    ///
    /// - Parameter instance: the value to check.
    /// - Returns: whether the instance satisfies the schema.
    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluator = SchemaEvaluator(program: program, maximumErrors: 1)
        return evaluator.run(instance, report: false)
    }
}
