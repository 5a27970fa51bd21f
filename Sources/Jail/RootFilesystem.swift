import CJail

/// One entry of the mount list handed to the C child (mirrors `struct cj_mount`).
struct MountEntry: Sendable, Equatable {
    var kind: Int32
    var flags: UInt32 = 0
    var source: [UInt8]? = nil
    var target: String
    var data: String? = nil
    var mode: UInt32 = 0

    static func bindRO(_ source: String, _ target: String? = nil, optional: Bool = false) -> MountEntry {
        MountEntry(
            kind: Int32(CJ_MOUNT_BIND_RO), flags: optional ? UInt32(CJ_MF_OPTIONAL) : 0,
            source: Array(source.utf8), target: target ?? source)
    }
    static func bindRW(_ source: String, _ target: String) -> MountEntry {
        MountEntry(kind: Int32(CJ_MOUNT_BIND_RW), source: Array(source.utf8), target: target)
    }
    static func tmpfs(_ target: String, _ options: String, remountReadOnly: Bool = false) -> MountEntry {
        MountEntry(
            kind: Int32(CJ_MOUNT_TMPFS), flags: remountReadOnly ? UInt32(CJ_MF_REMOUNT_RO) : 0,
            target: target, data: options)
    }
    static func file(_ target: String, _ content: String, mode: UInt32 = 0o644) -> MountEntry {
        MountEntry(kind: Int32(CJ_MOUNT_FILE), source: Array(content.utf8), target: target, mode: mode)
    }
    static func symlink(_ target: String, to destination: String) -> MountEntry {
        MountEntry(kind: Int32(CJ_MOUNT_SYMLINK), source: Array(destination.utf8), target: target)
    }
    static func device(_ path: String) -> MountEntry {
        MountEntry(kind: Int32(CJ_MOUNT_DEV), source: Array(path.utf8), target: path)
    }
    static func simple(_ kind: Int, _ target: String, optional: Bool = false, mode: UInt32 = 0) -> MountEntry {
        MountEntry(kind: Int32(kind), flags: optional ? UInt32(CJ_MF_OPTIONAL) : 0, target: target, mode: mode)
    }
}

/// The jail's root filesystem (DESIGN §2): a fresh read-only root with the system runtime bound
/// read-only, a minimal `/etc`, a new `/proc` with the dangerous parts masked, a minimal `/dev`,
/// size-capped tmpfs at `/tmp`, the tool at `/tool` and the workspace at `/work`. No `/sys`.
struct RootFilesystem: Sendable {
    /// Entries that are the same for every run (system runtime, /etc, /proc, /dev).
    let systemEntries: [MountEntry]

    /// Files under /proc that are hidden (bound to /dev/null or covered by an empty tmpfs).
    static let maskedProcPaths = [
        "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
        "/proc/timer_stats", "/proc/acpi", "/proc/scsi", "/proc/asound", "/proc/kallsyms", "/proc/kmsg",
        "/proc/config.gz", "/proc/sysrq-trigger",
    ]
    /// Directories under /proc that stay visible but read-only.
    static let readOnlyProcPaths = ["/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"]

    /// Inspects the host once (which of /bin, /lib... are links under merged /usr) and prepares the
    /// fixed part of every jail's mount list.
    init(innerUID: UInt32, innerGID: UInt32, hostname: String) {
        var entries: [MountEntry] = [.bindRO("/usr")]
        for name in ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            if let link = Syscalls.readlink(name) {
                entries.append(.symlink(name, to: link))
            } else if Syscalls.isDirectory(name) {
                entries.append(.bindRO(name, optional: true))
            }
        }
        // A minimal /etc: synthesized identity files, plus what the dynamic loader and Debian's
        // alternatives need.
        entries.append(.simple(CJ_MOUNT_DIR, "/etc", mode: 0o755))
        entries.append(
            .file(
                "/etc/passwd",
                "root:x:0:0:root:/root:/usr/sbin/nologin\ntool:x:\(innerUID):\(innerGID):tool:/work:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            ))
        entries.append(.file("/etc/group", "root:x:0:\ntool:x:\(innerGID):\nnogroup:x:65534:\n"))
        entries.append(
            .file("/etc/hosts", "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
        entries.append(.file("/etc/hostname", hostname + "\n"))
        entries.append(.file("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n"))
        for path in [
            "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
            "/etc/mime.types",
        ] {
            entries.append(.bindRO(path, optional: true))
        }
        // A new procfs for the new pid namespace, with the kernel's sensitive files hidden.
        entries.append(.simple(CJ_MOUNT_PROC, "/proc"))
        for path in RootFilesystem.maskedProcPaths { entries.append(.simple(CJ_MOUNT_MASK, path)) }
        for path in RootFilesystem.readOnlyProcPaths { entries.append(.simple(CJ_MOUNT_READONLY, path)) }
        // A minimal /dev.
        entries.append(.tmpfs("/dev", "mode=0755,size=64k,nr_inodes=64", remountReadOnly: true))
        for node in ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"] {
            entries.append(.device(node))
        }
        entries.append(.simple(CJ_MOUNT_DEVPTS, "/dev/pts"))
        entries.append(.symlink("/dev/ptmx", to: "pts/ptmx"))
        entries.append(.symlink("/dev/fd", to: "/proc/self/fd"))
        entries.append(.symlink("/dev/stdin", to: "/proc/self/fd/0"))
        entries.append(.symlink("/dev/stdout", to: "/proc/self/fd/1"))
        entries.append(.symlink("/dev/stderr", to: "/proc/self/fd/2"))
        entries.append(.simple(CJ_MOUNT_MQUEUE, "/dev/mqueue", optional: true))
        systemEntries = entries
    }

    /// The full mount list of one run.
    func entries(for spec: JailSpec, innerUID: UInt32, innerGID: UInt32) -> [MountEntry] {
        let tmpfsSize = spec.limits.tmpfsBytes
        var entries = systemEntries
        entries.append(.tmpfs("/dev/shm", "mode=1777,size=\(min(tmpfsSize, 16 << 20))"))
        entries.append(.tmpfs("/tmp", "mode=1777,size=\(tmpfsSize)"))
        switch spec.workspace {
        case .tmpfs:
            entries.append(.tmpfs("/work", "mode=0755,size=\(tmpfsSize),uid=\(innerUID),gid=\(innerGID)"))
        case .hostDirectory(let dir):
            entries.append(.bindRW(dir, "/work"))
        }
        if let tool = spec.toolDirectory { entries.append(.bindRO(tool, "/tool")) }
        for bind in spec.binds {
            entries.append(
                bind.writable ? .bindRW(bind.source, bind.destination) : .bindRO(bind.source, bind.destination))
        }
        // The egress proxy's socket, read-only: connect(2) to a socket is not a write to the file
        // system, so the init can still reach the proxy, while nobody can unlink, rename or chmod it.
        // Its parent directories are created on the read-only root (only with egress: without it
        // there is no /run at all).
        if let socket = spec.egressSocket { entries.append(.bindRO(socket, JailSpec.egressSocketPath)) }
        return entries
    }
}
