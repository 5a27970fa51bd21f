import JSON
/// An error from loading, decoding, compiling or caching a seccomp profile.
///
/// `code` is stable and meant for programs (see the static code constants); `message` is for people and names
/// the profile field or the step that failed (`syscalls[3].args[0].op: expected one of eq, ne, ...`).
public struct SeccompError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `SECCOMP_PROFILE_INVALID`.
        case profileInvalid = "SECCOMP_PROFILE_INVALID"
        /// `SECCOMP_PROFILE_NOT_FOUND`.
        case profileNotFound = "SECCOMP_PROFILE_NOT_FOUND"
        /// `SECCOMP_COMPILE_FAILED`.
        case compileFailed = "SECCOMP_COMPILE_FAILED"
        /// `SECCOMP_CACHE_UNSAFE`.
        case cacheUnsafe = "SECCOMP_CACHE_UNSAFE"
        /// `SECCOMP_IO_FAILED`.
        case ioFailed = "SECCOMP_IO_FAILED"
    }

    /// The stable error code, e.g. ``profileInvalid``.
    public let code: Code
    /// A human-readable explanation naming the field or step that failed.
    public let message: String
    /// The underlying `errno`, when a system call failed.
    public let errno: Int32?

    /// Creates an error.
    /// - Parameters:
    ///   - code: the stable code, e.g. ``profileInvalid``.
    ///   - message: a human-readable explanation.
    ///   - errno: the underlying `errno`, if a system call failed.
    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// `code: message`, with the errno appended when there is one.
    public var description: String {
        if let errno { return "\(code.rawValue): \(message) (errno \(errno))" }
        return "\(code.rawValue): \(message)"
    }

    /// No profile of that name exists in the search directories, or the path does not exist.
    /// libseccomp refused the profile, or the resulting program is unusable (e.g. too long).
    /// The cache directory is not owned by the current user or is writable by others.
    /// A system call failed while reading a profile or reading/writing the cache.

    static func invalid(_ path: String, _ message: String) -> SeccompError {
        SeccompError(code: .profileInvalid, message: path.isEmpty ? message : "\(path): \(message)")
    }
}
