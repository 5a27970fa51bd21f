/// A system call that failed: the step it was (`open /etc/passwd`, `mount /proc`) and the errno.
///
/// Every wrapper of ``SystemCall`` throws this; a module that needs its own error vocabulary wraps it
/// as the cause (its message keeps the step and the errno name).
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done, with its operand (`open /path`).
    public let step: String
    /// What the kernel said.
    public let errno: Errno

    /// An error for `step` with `errno`.
    public init(_ step: String, errno: Errno) {
        self.step = step
        self.errno = errno
    }

    /// An error for `step` with the calling thread's current errno.
    public static func current(_ step: String) -> SystemCallError { SystemCallError(step, errno: .current) }

    /// `step: ENAME` (e.g. `mount /proc: EPERM`).
    public var description: String { "\(step): \(errno.name)" }
}
