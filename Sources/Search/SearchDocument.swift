/// One document to index: a tool's searchable fields and what filters need.
public struct SearchDocument: Sendable {
    /// The caller's key for the document (the registry's row id), returned with each hit.
    public var key: UInt64
    /// The tool's id (`web.fetch_extract`); indexed with compounds (`fetchextract`).
    public var name: String
    /// A short title.
    public var title: String
    /// The description.
    public var description: String
    /// Keywords.
    public var keywords: [String]
    /// Static attributes filters test without touching the store.
    public var attributes: DocumentAttributes
    /// Scopes the tool asks for (filterable, not searched as words).
    public var scopes: [String]

    /// A document.
    public init(
        key: UInt64, name: String, title: String = "", description: String = "", keywords: [String] = [],
        attributes: DocumentAttributes = DocumentAttributes(), scopes: [String] = []
    ) {
        self.key = key
        self.name = name
        self.title = title
        self.description = description
        self.keywords = keywords
        self.attributes = attributes
        self.scopes = scopes
    }
}
