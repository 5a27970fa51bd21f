/// The JSON Schema dialects the validator understands.
///
/// A schema's `$schema` keyword chooses the dialect; without one, ``SchemaOptions/defaultDialect``
/// does (2020-12 unless told otherwise). Drafts 4 and 6 metaschema URIs are read as draft-07.
public enum SchemaDialect: String, Sendable {
    /// Draft 2020-12 (MCP's dialect): `prefixItems`, `$defs`, `$dynamicRef`, `unevaluated*`.
    case draft2020_12 = "2020-12"
    /// Draft-07: `items` arrays with `additionalItems`, `definitions`, `dependencies`.
    case draft7 = "7"

    /// The dialect a `$schema` URI names, or nil when it names no dialect we know.
    ///
    /// - Parameter uri: the value of `$schema` (an empty fragment is ignored; `http` and `https` alike).
    /// - Returns: the dialect, or nil for custom metaschemas.
    public static func forMetaschema(_ uri: String) -> SchemaDialect? {
        var text = uri
        if text.hasSuffix("#") { text.removeLast() }
        if text.hasPrefix("https://") { text = "http://" + text.dropFirst("https://".count) }
        switch text {
        case "http://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft/2019-09/schema":
            return .draft2020_12
        case "http://json-schema.org/draft-07/schema", "http://json-schema.org/draft-06/schema",
            "http://json-schema.org/draft-04/schema":
            return .draft7
        default:
            return nil
        }
    }
}

/// How a schema is compiled and how instances are validated against it.
public struct SchemaOptions: Sendable, Hashable {
    /// The dialect used when the schema has no `$schema` keyword.
    public var defaultDialect: SchemaDialect = .draft2020_12
    /// When true, `format` is an assertion (the checked formats fail invalid strings); when false
    /// (the default, as both drafts specify) it is only an annotation.
    public var assertFormats = false
    /// Validation stops collecting errors after this many (at least one is always reported).
    public var maximumErrors = 100

    /// The defaults: 2020-12, formats as annotations, at most 100 errors.
    public init() {}

    /// A stable text form of the options, used in cache keys.
    var cacheKey: String { "\(defaultDialect.rawValue)|\(assertFormats)|\(maximumErrors)" }
}
