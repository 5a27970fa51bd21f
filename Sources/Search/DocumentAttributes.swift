/// A document's static attributes, packed into 32 bits per document so that a filter costs one load.
///
/// Bits 0–2: the binding (0 unknown, then ``Binding``), bits 3–4: the risk level (0 unknown, then
/// ``Risk``), bit 5: the tool needs at least one required environment variable.
public struct DocumentAttributes: Sendable, Hashable {
    /// How a tool runs (DESIGN §3).
    public enum Binding: UInt32, Sendable, CaseIterable {
        case sandboxJob = 1, inprocSafe, mcpRemote, openAPIProxy

        /// The wire name (`sandbox_job`, …), or nil for an unknown one.
        public init?(name: String) {
            switch name {
            case "sandbox_job": self = .sandboxJob
            case "inproc_safe": self = .inprocSafe
            case "mcp_remote": self = .mcpRemote
            case "openapi_proxy": self = .openAPIProxy
            default: return nil
            }
        }
    }

    /// A tool's risk level.
    public enum Risk: UInt32, Sendable, CaseIterable {
        case low = 1, medium, high

        /// `low`, `medium` or `high`, or nil.
        public init?(name: String) {
            switch name {
            case "low": self = .low
            case "medium": self = .medium
            case "high": self = .high
            default: return nil
            }
        }
    }

    /// The packed bits.
    public var rawValue: UInt32

    /// Attributes from their packed bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Attributes.
    public init(binding: Binding? = nil, risk: Risk? = nil, needsEnvironment: Bool = false) {
        rawValue = (binding?.rawValue ?? 0) | ((risk?.rawValue ?? 0) << 3) | (needsEnvironment ? 1 << 5 : 0)
    }

    /// The binding, when known.
    public var binding: Binding? { Binding(rawValue: rawValue & 0b111) }
    /// The risk level, when known.
    public var risk: Risk? { Risk(rawValue: (rawValue >> 3) & 0b11) }
    /// Whether some environment variable is required.
    public var needsEnvironment: Bool { rawValue & (1 << 5) != 0 }
}
