import CSystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// An errno value with its symbolic name, so messages say exactly what the kernel said (`EPERM`).
public struct Errno: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The raw errno value.
    public let rawValue: Int32

    /// The errno value `rawValue`.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` as it is now.
    public static var current: Errno { Errno(rawValue: errno) }

    /// The symbolic name (`EPERM`), or `errno N` when glibc does not know the value.
    public var name: String { Errno.name(rawValue) }

    /// The symbolic name of `value` (`EPERM`), or `errno N` when unknown.
    public static func name(_ value: Int32) -> String {
        if let cName = omega_errno_name(value) { return String(cString: cName) }
        return "errno \(value)"
    }

    /// The C library's description of the value (`strerror(3)`: `No such file or directory`), for
    /// messages that have always said it in words. Names (``name``) are the one way to identify an errno.
    public var message: String { String(cString: strerror(rawValue)) }

    /// The symbolic name.
    public var description: String { name }

    /// Interrupted system call: retried by every wrapper of this module.
    public static let interrupted = Errno(rawValue: EINTR)
    /// No such file or directory.
    public static let noEntry = Errno(rawValue: ENOENT)
    /// The file exists.
    public static let exists = Errno(rawValue: EEXIST)
    /// Not a directory.
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// Try again (a non-blocking call would block).
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// A symbolic link where `O_NOFOLLOW` forbids one.
    public static let tooManyLinks = Errno(rawValue: ELOOP)
    /// No space left on the device.
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// Operation not permitted.
    public static let notPermitted = Errno(rawValue: EPERM)
    /// Permission denied.
    public static let accessDenied = Errno(rawValue: EACCES)
    /// Invalid argument (also what the wrappers of this module say of a path with a NUL byte inside).
    public static let invalidArgument = Errno(rawValue: EINVAL)
    /// Device or resource busy (a cgroup that still has members).
    public static let busy = Errno(rawValue: EBUSY)
    /// Input/output error (also a short write where the wrapper needs the whole value written at once).
    public static let ioError = Errno(rawValue: EIO)
    /// No such process.
    public static let noSuchProcess = Errno(rawValue: ESRCH)
    /// Bad file descriptor.
    public static let badFileDescriptor = Errno(rawValue: EBADF)
}
