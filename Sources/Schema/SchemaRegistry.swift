import JSON
import Synchronization

/// Schema documents that `$ref` may name by URI, so remote references resolve without the network.
///
/// A compilation looks a reference up here (by the URI without its fragment, then by the `$id`s
/// embedded in registered documents); the official 2020-12 and draft-07 metaschemas are always
/// available. A reference that nothing here provides makes compilation fail with a
/// ``SchemaError`` naming the URI: the validator never fetches anything.
public final class SchemaRegistry: Sendable {
    private let documents = Mutex<[String: JSONValue]>([:])

    /// An empty registry (the built-in metaschemas are still resolvable).
    public init() {}

    /// Registers `document` under `uri`.
    ///
    /// - Parameters:
    ///   - document: the schema document (an object or a boolean).
    ///   - uri: an absolute URI (`http://localhost:1234/integer.json`); a fragment is ignored.
    /// - Throws: ``SchemaError`` when the URI is not absolute or the document is not a schema.
    public func register(_ document: JSONValue, uri: String) throws(SchemaError) {
        let reference = URIReference(uri)
        guard reference.scheme != nil else { throw SchemaError("cannot register a schema under the relative URI \"\(uri)\"") }
        switch document {
        case .object, .bool: break
        default: throw SchemaError("the document registered as \"\(uri)\" is not a schema (expected an object or a boolean)")
        }
        let key = reference.withoutFragment.text
        documents.withLock { $0[key] = document }
    }

    /// The document registered under `uri` (without fragment), if any.
    func document(for uri: String) -> JSONValue? {
        documents.withLock { $0[uri] }
    }

    /// Every registered document, for the `$id` fallback search.
    func allDocuments() -> [(String, JSONValue)] {
        documents.withLock { $0.map { ($0.key, $0.value) } }.sorted { $0.0 < $1.0 }
    }

    /// The built-in metaschemas, parsed once.
    static let builtIn: [String: JSONValue] = {
        var result: [String: JSONValue] = [:]
        for (uri, text) in MetaSchemas.documents {
            if let value = try? JSONParser().parse(text) { result[uri] = value }
        }
        return result
    }()

    /// The built-in metaschema with this URI (`http` and `https` alike, as drafts spell both).
    static func builtInDocument(for uri: String) -> JSONValue? {
        if let doc = builtIn[uri] { return doc }
        if uri.hasPrefix("http://") { return builtIn["https://" + uri.dropFirst(7)] }
        if uri.hasPrefix("https://") { return builtIn["http://" + uri.dropFirst(8)] }
        return nil
    }
}
