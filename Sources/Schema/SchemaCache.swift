import JSON
import Synchronization

/// Compiled schemas shared across the process, so each distinct schema is compiled once.
///
/// Keyed by the schema's canonical text (RFC 8785) plus the options; remote references resolve
/// against the built-in metaschemas only (compile with a ``SchemaRegistry`` directly for more).
/// The cache holds at most ``capacity`` schemas and starts over when full.
public final class SchemaCache: Sendable {
    /// The process-wide cache.
    public static let shared = SchemaCache()
    /// The most schemas held at once.
    public static let capacity = 512

    private let entries = Mutex<[String: JSONSchema]>([:])

    /// An empty cache.
    public init() {}

    /// The compiled form of `schema`, compiling it on first use.
    ///
    /// - Parameters:
    ///   - schema: the schema document.
    ///   - options: compile and validation options (part of the key).
    /// - Returns: the compiled schema.
    /// - Throws: ``SchemaError`` when the schema does not compile (failures are not cached).
    public func schema(for schema: JSONValue, options: SchemaOptions = .init()) throws(SchemaError) -> JSONSchema {
        let key = options.cacheKey + "|" + schema.canonicalText
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let compiled = try JSONSchema.compile(schema, options: options)
        entries.withLock { entries in
            if entries.count >= SchemaCache.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = compiled
        }
        return compiled
    }
}
