import Foundation
import JSON
import Schema

/// `omega-exec validate`: a JSON instance against a JSON Schema file, both read from disk.
public enum DocumentValidation {
    /// Why a validation could not be made (exit 2 on the CLI): an unreadable file, bad JSON, bad schema.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The message, naming the file.
        public let description: String
    }

    /// Reads one JSON document (at most 64 MiB).
    public static func read(_ path: String) throws(Failure) -> JSONValue {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            // The OS's reason ("No such file or directory") when there is one, else Foundation's.
            let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason =
                posix.map { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : "\($0)" }
                ?? error.localizedDescription
            throw Failure(description: "\(path): cannot read the file (\(reason))")
        }
        guard data.count <= 64 << 20 else {
            throw Failure(description: "\(path): cannot read the file (File too large)")
        }
        do {
            return try JSONParser().parse(bytes: Array(data))
        } catch {
            throw Failure(description: "\(path): not valid JSON: \(error)")
        }
    }

    /// Validates the instance file against the schema file.
    public static func validate(schema: String, instance: String, options: SchemaOptions) throws(Failure)
        -> ValidationResult
    {
        let schemaDocument = try read(schema)
        let instanceDocument = try read(instance)
        do {
            return try JSONSchema.compile(schemaDocument, options: options).validate(instanceDocument)
        } catch {
            throw Failure(description: "\(schema): invalid schema: \(error)")
        }
    }

    /// The dialect a user names: `2020-12`, or `7` / `07` / `draft-07`; nil for anything else.
    public static func dialect(named name: String) -> SchemaDialect? {
        SchemaDialect(rawValue: name == "07" || name == "draft-07" ? "7" : name)
    }

    /// `{"valid": Bool, "errors": [{"instancePath", "schemaPath", "message"}]}`.
    public static func json(_ result: ValidationResult) -> JSONValue {
        let errors: [JSONValue] = result.errors.map { error in
            [
                "instancePath": .string(error.instancePath.description),
                "schemaPath": .string(error.schemaPath.description), "message": .string(error.message),
            ]
        }
        return ["valid": .bool(result.isValid), "errors": .array(errors)]
    }
}
