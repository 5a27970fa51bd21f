import JSON
/// An error of the cgroup layer: a step that failed, the file it touched and what the kernel said.
///
/// `code` is stable: `CGROUP_SETUP` (creating a leaf or writing its limits), `CGROUP_ATTACH` (moving a
/// process in), `CGROUP_UNAVAILABLE` (no usable cgroup on this machine), `CGROUP_UNSUPPORTED` (a limit
/// for a controller this machine does not offer), `CGROUP_RELEASED` (a lease used after `release()`).
/// The executor reports all of them on the wire as `SANDBOX_FAILURE`.
public struct CgroupError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `CGROUP_SETUP`.
        case setup = "CGROUP_SETUP"
        /// `CGROUP_ATTACH`.
        case attach = "CGROUP_ATTACH"
        /// `CGROUP_UNAVAILABLE`.
        case unavailable = "CGROUP_UNAVAILABLE"
        /// `CGROUP_UNSUPPORTED`.
        case unsupported = "CGROUP_UNSUPPORTED"
        /// `CGROUP_RELEASED`.
        case released = "CGROUP_RELEASED"
    }

    /// The stable error code.
    public let code: Code
    /// The step, the path and the errno name, e.g. `write /sys/fs/cgroup/x/memory.max: EINVAL`.
    public let message: String
    /// The errno behind the failure, when there is one.
    public let errno: Int32?

    /// Creates an error.
    /// - Parameters:
    ///   - code: the stable code (`CGROUP_SETUP`, ...).
    ///   - message: what failed, naming the file and the errno.
    ///   - errno: the errno, when a system call failed.
    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// The same error under another code, with `step` prepended to the message.
    func with(code: Code, step: String? = nil) -> CgroupError {
        CgroupError(code: code, message: step.map { "\($0): \(message)" } ?? message, errno: errno)
    }

    /// The error as one line: `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
