#if os(Linux)
import Glibc

/// Mounts: `mount(2)` and `umount2(2)`.
extension SystemCall {
    /// `MS_*` flags for ``mount(source:on:type:flags:options:step:)``.
    public struct MountFlags: OptionSet, Sendable, Hashable {
        /// The `MS_*` bits.
        public let rawValue: UInt
        /// Flags from `MS_*` bits.
        public init(rawValue: UInt) { self.rawValue = rawValue }

        /// `MS_RDONLY`
        public static let readOnly = MountFlags(rawValue: UInt(MS_RDONLY))
        /// `MS_NOSUID`: setuid and setgid bits are ignored.
        public static let noSetID = MountFlags(rawValue: UInt(MS_NOSUID))
        /// `MS_NODEV`: device nodes do not work.
        public static let noDevices = MountFlags(rawValue: UInt(MS_NODEV))
        /// `MS_NOEXEC`: nothing is executed from it.
        public static let noExecute = MountFlags(rawValue: UInt(MS_NOEXEC))
    }

    /// Mounts `source` of file-system type `type` on `target` (`mount(2)`).
    ///
    /// - Parameters:
    ///   - source: The device or pseudo source (`tmpfs`).
    ///   - target: The mount point (e.g. `/proc/self/fd/N` for a directory held open).
    ///   - type: The file-system type (`tmpfs`).
    ///   - flags: `MS_*` flags.
    ///   - options: The file system's options (`size=1m,mode=0700`).
    ///   - step: The step for the error (`mount <target>` when empty).
    /// - Throws: ``SystemCallError`` (`EPERM` without `CAP_SYS_ADMIN`).
    public static func mount(
        source: String, on target: String, type: String, flags: MountFlags = [], options: String = "",
        step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        guard !source.utf8.contains(0), !type.utf8.contains(0), !options.utf8.contains(0) else {
            throw SystemCallError(describe(step(), "mount", target), errno: .invalidArgument)
        }
        _ = try retrying(describe(step(), "mount", target), path: target) {
            Glibc.mount(source, $0, type, flags.rawValue, options)
        }
    }

    /// Detaches the mount at `path` (`umount2(MNT_DETACH | UMOUNT_NOFOLLOW)`): lazily, never through a
    /// final symbolic link.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`umount <path>` when empty): `EINVAL` when nothing is mounted there.
    @inlinable
    public static func unmountDetached<P: SystemPath>(_ path: P, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        _ = try retrying(describe(step(), "umount", path), path: path) {
            umount2($0, Int32(MNT_DETACH | UMOUNT_NOFOLLOW))
        }
    }
}
#endif
