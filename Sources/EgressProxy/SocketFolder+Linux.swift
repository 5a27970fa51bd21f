#if os(Linux)
import Glibc

/// The folder of a session's socket, held open (`O_PATH`) from bind to removal: the one place this
/// module makes raw system calls for the socket file (each retrying `EINTR`).
///
/// A socket address holds a path of 107 bytes at most (NIO accepts 103); a longer path is bound through
/// `/proc/self/fd/<folder descriptor>/<name>`, which names the same file. The mode is set and the file
/// removed relative to the descriptor, so they act on the folder that was bound in.
struct SocketFolder: Sendable {
    /// `O_PATH` (Glibc's module hides it behind `_GNU_SOURCE`): 010000000 on x86-64, arm64 and every
    /// other architecture this appliance runs on.
    static let openPathOnly: Int32 = 0o10_000_000

    /// The longest path bound directly (NIO's portable limit for `sockaddr_un`).
    static let directPathLimit = 103

    /// The socket path as the caller gave it.
    let path: String
    /// The socket's file name inside the folder.
    let name: String
    /// An `O_PATH | O_DIRECTORY` descriptor of the folder.
    let descriptor: Int32

    /// Opens the folder of `socketPath`.
    ///
    /// - Throws: ``EgressProxyError/invalidSocketPath(path:reason:)`` for a path that cannot name a
    ///   socket, ``EgressProxyError/bind(path:reason:)`` when the folder cannot be opened.
    init(socketPath: String) throws(EgressProxyError) {
        guard socketPath.hasPrefix("/"), !socketPath.utf8.contains(0) else {
            throw .invalidSocketPath(path: socketPath, reason: "not an absolute path")
        }
        guard let slash = socketPath.lastIndex(of: "/") else {
            throw .invalidSocketPath(path: socketPath, reason: "not an absolute path")
        }
        let name = String(socketPath[socketPath.index(after: slash)...])
        let folder = slash == socketPath.startIndex ? "/" : String(socketPath[..<slash])
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .invalidSocketPath(path: socketPath, reason: "no file name")
        }
        guard name.utf8.count <= Self.directPathLimit - "/proc/self/fd/2147483647/".utf8.count else {
            throw .invalidSocketPath(path: socketPath, reason: "the file name is longer than a socket address allows")
        }
        var descriptor: Int32
        repeat {
            descriptor = open(folder, Self.openPathOnly | O_DIRECTORY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            throw .bind(path: socketPath, reason: "open its folder: " + Self.errorText(errno))
        }
        self.path = socketPath
        self.name = name
        self.descriptor = descriptor
    }

    /// The path to bind: `path` itself when short enough, else through the folder's descriptor.
    var bindPath: String {
        path.utf8.count <= Self.directPathLimit ? path : "/proc/self/fd/\(descriptor)/\(name)"
    }

    /// Sets the socket file's mode to 0666 (anyone who can reach it may connect; the folder is the gate).
    ///
    /// - Throws: ``EgressProxyError/bind(path:reason:)`` with the `fchmodat` error.
    func makeConnectable() throws(EgressProxyError) {
        var result: Int32
        repeat {
            result = fchmodat(descriptor, name, 0o666, 0)
        } while result < 0 && errno == EINTR
        guard result == 0 else { throw .bind(path: path, reason: "chmod 0666: " + Self.errorText(errno)) }
    }

    /// Removes the socket file (`unlinkat`); a file already gone is not an error, nor is any other
    /// failure worth more than ignoring at this point (the folder is the caller's to remove).
    func removeSocket() {
        var result: Int32
        repeat {
            result = unlinkat(descriptor, name, 0)
        } while result < 0 && errno == EINTR
    }

    /// Closes the folder's descriptor (not retried: `close` must not be retried on Linux).
    func close() {
        _ = Glibc.close(descriptor)
    }

    /// `strerror` text with the errno number.
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }
}
#endif
