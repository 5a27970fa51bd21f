/// Why a run's egress session could not be opened.
public enum EgressProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `path` is not a usable socket path (empty, relative, a folder, or a file name too long for a
    /// socket address even through the folder's descriptor).
    case invalidSocketPath(path: String, reason: String)
    /// Listening at `path` failed (its folder cannot be opened, a file is already there, the socket
    /// cannot be bound or its mode set).
    case bind(path: String, reason: String)

    /// The stable wire code: `EGRESS_SOCKET_PATH` or `EGRESS_BIND`.
    public var code: String {
        switch self {
        case .invalidSocketPath: return "EGRESS_SOCKET_PATH"
        case .bind: return "EGRESS_BIND"
        }
    }

    /// `CODE: what failed: why`.
    public var description: String {
        switch self {
        case .invalidSocketPath(let path, let reason): return "\(code): \(path) is not a usable socket path: \(reason)"
        case .bind(let path, let reason): return "\(code): cannot listen at \(path): \(reason)"
        }
    }
}
