#if canImport(Glibc)
import Glibc
#endif

/// What `stat(2)` says of a file: its kind, permission bits, owner, size and identity.
public struct FileStatus: Sendable, Hashable {
    /// The file type (`st_mode & S_IFMT`).
    public enum Kind: Sendable, Hashable {
        /// A regular file.
        case regular
        /// A directory.
        case directory
        /// A symbolic link (only when the call did not follow it).
        case symbolicLink
        /// A named pipe.
        case fifo
        /// A Unix-domain socket.
        case socket
        /// A character device.
        case characterDevice
        /// A block device.
        case blockDevice
        /// Anything else the kernel may report.
        case unknown
    }

    /// The file type.
    public var kind: Kind
    /// The permission bits, setuid, setgid and sticky included (`st_mode & 0o7777`).
    public var permissions: UInt32
    /// The owner's uid.
    public var ownerUID: UInt32
    /// The group's gid.
    public var ownerGID: UInt32
    /// The size in bytes.
    public var size: Int64
    /// The device the file is on (with ``inode``, the file's identity).
    public var device: UInt64
    /// The inode number.
    public var inode: UInt64

    /// Whether group or others may write (permission bits 0o022).
    public var isWritableByOthers: Bool { permissions & 0o022 != 0 }
    /// Whether group or others have any permission (bits 0o077).
    public var isAccessibleByOthers: Bool { permissions & 0o077 != 0 }
    /// Whether any execute bit is set (0o111).
    public var isExecutable: Bool { permissions & 0o111 != 0 }

    /// A status from its parts.
    public init(
        kind: Kind, permissions: UInt32, ownerUID: UInt32 = 0, ownerGID: UInt32 = 0, size: Int64 = 0,
        device: UInt64 = 0, inode: UInt64 = 0
    ) {
        self.kind = kind
        self.permissions = permissions
        self.ownerUID = ownerUID
        self.ownerGID = ownerGID
        self.size = size
        self.device = device
        self.inode = inode
    }
}

#if os(Linux)
extension FileStatus {
    /// The status in a `struct stat`.
    @inlinable
    init(_ st: stat) {
        self.init(
            kind: Kind(mode: UInt32(st.st_mode)), permissions: UInt32(st.st_mode) & 0o7777, ownerUID: st.st_uid,
            ownerGID: st.st_gid, size: Int64(st.st_size), device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

extension FileStatus.Kind {
    /// The kind in the `S_IFMT` bits of `mode`.
    @inlinable
    init(mode: UInt32) {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regular
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symbolicLink
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFBLK): self = .blockDevice
        default: self = .unknown
        }
    }

    /// The kind in a directory entry's `d_type`, or nil for `DT_UNKNOWN` (the caller must `stat`).
    /// (`d_type` is the `S_IFMT` bits shifted right by 12: glibc's `DTTOIF`.)
    @inlinable
    init?(directoryEntryType type: UInt8) {
        guard type != UInt8(DT_UNKNOWN) else { return nil }
        self.init(mode: UInt32(type) << 12)
    }
}
#endif
