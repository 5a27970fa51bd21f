/// A failure of the registry (its store, an index file, a reference), with a stable code.
///
/// Callers match on ``code`` (`error.code == .notFound`), never on the message. A malformed line of an
/// index file is not a `RegistryError`: it is reported in ``RegistryImport/problems`` and skipped.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes; each has a wire form (`REGISTRY_NOT_FOUND`) that never changes.
    public enum Code: String, Sendable, CaseIterable {
        /// An index file is missing, unreadable, not a regular file, or its compressed stream is corrupt or
        /// truncated. An import that meets it changes nothing.
        case indexUnreadable = "REGISTRY_INDEX_UNREADABLE"
        /// The database failed (I/O, corruption, a lock held too long, a schema newer than this code).
        case storeFailed = "REGISTRY_STORE_FAILED"
        /// No tool (or no such version of it) is in the registry.
        case notFound = "REGISTRY_NOT_FOUND"
        /// The version asked for is yanked.
        case yanked = "REGISTRY_VERSION_YANKED"
        /// A tool reference (`id` or `id@version`) is malformed.
        case invalidReference = "REGISTRY_INVALID_REFERENCE"
        /// An argument is malformed (an empty user name, an entry with an invalid id).
        case invalidArgument = "REGISTRY_INVALID_ARGUMENT"
    }

    /// The stable code.
    public let code: Code
    /// What went wrong, naming the file, tool or field at fault.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
