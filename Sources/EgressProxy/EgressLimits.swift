/// The caps one run's egress session enforces (DESIGN §11). Every cap is per session (per run); a
/// session never borrows from another.
public struct EgressLimits: Sendable, Equatable {
    /// Connections open at once; one more is answered `429` (`connection_cap`). Default 16.
    public var maxConcurrentConnections = 16
    /// Connections accepted over the whole run, refused ones included; later ones are answered `429`
    /// (`connection_cap`). Default 256.
    public var maxConnections = 256
    /// Payload bytes relayed, both directions and every connection together. The connection that passes
    /// it is cut (`byte_cap`), and the run's later connections are refused with `403` (`byte_cap`).
    /// Default 64 MiB.
    public var maxBytes: UInt64 = 64 << 20
    /// Seconds allowed for resolving the name, and again for each address tried. Default 10.
    public var connectTimeoutSeconds = 10.0
    /// Seconds a tunnel or a forwarded request may go without a byte either way before it is closed
    /// (`idle_timeout`); also the time a new connection has to send its whole request head. Default 30.
    public var idleTimeoutSeconds = 30.0
    /// Connection records reported through `onRecord` per run; later connections are only counted
    /// (``EgressUsage/unrecorded``). Default 256.
    public var maxRecords = 256
    /// The largest request head (request line and headers) read; a larger one is answered `431`
    /// (`head_too_large`). Default 16 KiB.
    public var maxRequestHeadBytes = 16 << 10

    /// The defaults above.
    public init() {}
}
