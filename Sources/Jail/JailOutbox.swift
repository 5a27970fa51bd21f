#if os(Linux)
import SystemCalls

/// A host directory a jailed tool writes its artifacts into (bound writable at `/work/out`), capped in
/// size, and collected without following anything the tool planted.
///
/// As root, the outbox is a tmpfs of its own (`size`, `nr_inodes`, `nosuid`, `nodev`, `noexec`, mode
/// 0700, owned by the jail's host ids): a tool that writes more gets `ENOSPC` and the host disk is never
/// touched. Rootless, it is a plain 0700 directory of the caller (the jail maps the caller's own ids
/// inside), `isCapped` is false, and the limits are only enforced when collecting.
///
/// Collecting and removing walk the tree from directory descriptors (`openat` with `O_NOFOLLOW`), so
/// symbolic links, FIFOs, sockets and devices are never followed, opened for reading or copied.
public struct JailOutbox: Sendable, Equatable {
    /// The deepest directory nesting collecting descends into.
    public static let maxDepth = 16

    /// The host path of the outbox (the source of the writable bind).
    public let path: String
    /// Whether the outbox is a tmpfs of its own, so its size and file count are enforced while the tool
    /// writes (root only).
    public let isCapped: Bool

    /// Creates an outbox at `path`, a fresh path whose parent exists.
    ///
    /// As root, a tmpfs is mounted on the new directory with `size=capacityBytes`,
    /// `nr_inodes=maxFiles+16`, `mode=0700`, `uid=ownerUID`, `gid=ownerGID`, `nosuid,nodev,noexec`.
    /// Rootless, the directory is created 0700 and owned by the caller; `ownerUID`/`ownerGID` are then
    /// unused (pass `Jail.hostUID`/`Jail.hostGID`, which are the caller's ids in that mode).
    ///
    /// The jail binds the outbox from its own user namespace: the parent directories must be searchable
    /// by the jail's host ids.
    ///
    /// - Parameters:
    ///   - path: absolute, clean, not existing yet.
    ///   - capacityBytes: the most bytes the tool may store (at least 1; tmpfs rounds up to pages).
    ///   - maxFiles: the most files the tool may create (directories count as files too).
    ///   - ownerUID: the host uid the jailed program runs as (`Jail.hostUID`).
    ///   - ownerGID: the host gid the jailed program runs as (`Jail.hostGID`).
    /// - Throws: `INVALID_INPUT` for a bad argument; `SANDBOX_FAILURE` naming the step (`mkdir`,
    ///   `mount tmpfs`) and the errno. Nothing is left behind when it throws.
    public static func create(
        at path: String, capacityBytes: UInt64, maxFiles: Int, ownerUID: UInt32, ownerGID: UInt32
    ) throws(JailError) -> JailOutbox {
        guard Path.isCleanAbsolute(path), path != "/" else {
            throw .invalid("outbox", "expected an absolute path without '..', got '\(path)'")
        }
        guard capacityBytes > 0 else { throw .invalid("outbox", "capacity must be at least 1 byte") }
        guard maxFiles >= 0 else { throw .invalid("outbox", "maxFiles must not be negative") }
        try Syscalls.mkdir(path, mode: 0o700)
        guard Syscalls.effectiveIDs.uid == 0 else { return JailOutbox(path: path, isCapped: false) }
        do {
            let dir = try Syscalls.openDirectory(path)
            defer { Syscalls.close(dir) }
            let options =
                "size=\(capacityBytes),nr_inodes=\(maxFiles + 16),mode=0700,uid=\(ownerUID),gid=\(ownerGID)"
            try Syscalls.mountTmpfs(onDirectory: dir, options: options, step: path)
        } catch {
            try? Syscalls.rmdir(path)
            throw error
        }
        return JailOutbox(path: path, isCapped: true)
    }

    /// Copies the outbox's regular files into `destination`, keeping their relative paths, and reports
    /// every entry it met.
    ///
    /// Entries are visited depth first, in bytewise name order. Only regular files are copied (to new
    /// files, mode 0600, created with `O_EXCL|O_NOFOLLOW`; directories are created 0700 only when they
    /// receive a file). Symbolic links, FIFOs, sockets, devices, names that are not valid UTF-8,
    /// unreadable entries and directories deeper than `maxDepth` are reported `.refused` and skipped.
    /// The first entry that would take the result past `maxFiles` entries (copied or refused), or the
    /// copied bytes past `maxBytes`, is reported `.skippedOverLimit` and collecting stops there.
    ///
    /// - Parameters:
    ///   - destination: a host directory, created 0700 when missing (never followed when a link).
    ///   - maxBytes: the most bytes copied in all.
    ///   - maxFiles: the most entries reported before the walk stops.
    /// - Returns: the entries, in visiting order.
    /// - Throws: `SANDBOX_FAILURE` when the outbox cannot be opened or the destination cannot be
    ///   written (`ENOSPC`, an existing file of the same name); what the tool planted never throws.
    public func collect(into destination: String, maxBytes: UInt64, maxFiles: Int) throws(JailError)
        -> [JailArtifact]
    {
        let source = try Syscalls.openDirectory(path)
        defer { Syscalls.close(source) }
        try Syscalls.mkdir(destination, mode: 0o700, existingIsFine: true)
        let root = try Syscalls.openDirectory(destination)
        var walk = OutboxCollection(maxBytes: maxBytes, maxFiles: maxFiles)
        try walk.collect(directory: source, into: DestinationDirectory(fd: root), prefix: "", depth: 0)
        return walk.artifacts
    }

    /// Removes the outbox: detaches its tmpfs (when capped), then deletes whatever is left, never following
    /// a link. Best effort: it never throws.
    ///
    /// - Returns: whether the outbox directory is gone.
    @discardableResult
    public func remove() -> Bool {
        if isCapped { Self.detachMounts(at: path) }
        return Self.removeTree(path)
    }

    /// Removes outboxes a previous process left behind (e.g. after `kill -9`): every mount below
    /// `directory` (per `/proc/self/mountinfo`) is detached, deepest first, then every entry directly in
    /// `directory` is deleted, never following a link. `directory` itself stays.
    ///
    /// - Parameter directory: a canonical path (no symbolic links) dedicated to outboxes: everything in
    ///   it is deleted, so no other live process may keep outboxes there (see `removeStale(at:)`).
    /// - Returns: the entries of `directory` that were removed.
    @discardableResult
    public static func cleanupStale(under directory: String) -> [String] {
        let base = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let below = mountPoints().filter { $0 != base && Path.isWithin($0, base) }
        for mountPoint in below.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            try? Syscalls.unmountDetached(mountPoint)
        }
        guard let dir = try? Syscalls.openDirectory(base) else { return [] }
        defer { Syscalls.close(dir) }
        var removed: [String] = []
        for name in (try? Syscalls.listDirectory(dir, step: base)) ?? [] {
            removeEntry(at: dir, name, depth: 0)
            removed.append(base + "/" + String(decoding: name, as: UTF8.self))
        }
        return removed
    }

    // MARK: Removal

    /// Detaches every mount at or below `path` (per `/proc/self/mountinfo`), deepest first, and any
    /// stacked on `path` itself.
    static func detachMounts(at path: String) {
        let below = mountPoints().filter { Path.isWithin($0, path) && $0 != path }
        for mountPoint in below.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            try? Syscalls.unmountDetached(mountPoint)
        }
        for _ in 0..<8 {
            guard (try? Syscalls.unmountDetached(path)) != nil else { return }
        }
    }

    /// Deletes `path` and everything below it, never following a link (best effort); whether `path`
    /// is gone.
    static func removeTree(_ path: String) -> Bool {
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))!
        let parentPath = slash == path.utf8.startIndex ? "/" : String(path[..<slash])
        let name = Array(path.utf8[path.utf8.index(after: slash)...])
        guard let parent = try? Syscalls.openDirectory(parentPath) else { return false }
        defer { Syscalls.close(parent) }
        removeEntry(at: parent, name, depth: 0)
        return (try? Syscalls.statNoFollow(at: parent, name, step: path)) == nil
    }

    /// Deletes the entry `name` of `dir`, recursing into directories (up to 256 levels).
    private static func removeEntry(at dir: Int32, _ name: [UInt8], depth: Int) {
        let step = "remove"
        guard let st = try? Syscalls.statNoFollow(at: dir, name, step: step) else { return }
        guard st.kind == .directory else {
            try? Syscalls.unlink(at: dir, name, directory: false, step: step)
            return
        }
        guard depth < 256 else { return }
        var child = try? Syscalls.openDirectory(at: dir, name, step: step)
        if child == nil {  // a directory the tool made unreadable (rootless: it is ours, so chmod works)
            try? Syscalls.chmod(at: dir, name, mode: 0o700, step: step)
            child = try? Syscalls.openDirectory(at: dir, name, step: step)
        }
        if let child {
            for entry in (try? Syscalls.listDirectory(child, step: step)) ?? [] {
                removeEntry(at: child, entry, depth: depth + 1)
            }
            Syscalls.close(child)
        }
        try? Syscalls.unlink(at: dir, name, directory: true, step: step)
    }

    /// The mount points of this process's mount namespace (octal escapes of `mountinfo` decoded).
    static func mountPoints() -> [String] {
        guard let bytes = try? Syscalls.readWholeFile("/proc/self/mountinfo") else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard fields.count > 4 else { return nil }
            return unescape(fields[4])
        }
    }

    /// Decodes the `\NNN` octal escapes of a `mountinfo` field.
    private static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var index = field.startIndex
        while index < field.endIndex {
            let byte = field[index]
            if byte == UInt8(ascii: "\\"), index + 3 < field.endIndex {
                let digits = field[(index + 1)..<(index + 4)]
                if digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }) {
                    out.append(digits.reduce(0) { $0 &* 8 &+ ($1 - UInt8(ascii: "0")) })
                    index += 4
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Collecting

/// A destination directory created on first use (so directories without a copied file are not made).
private final class DestinationDirectory {
    private let parent: DestinationDirectory?
    private let name: [UInt8]
    private var fd: Int32

    init(fd: Int32) {
        parent = nil
        name = []
        self.fd = fd
    }

    init(parent: DestinationDirectory, name: [UInt8]) {
        self.parent = parent
        self.name = name
        fd = -1
    }

    deinit { Syscalls.close(fd) }

    /// The directory's descriptor, creating it (0700) and its missing parents first.
    func open(relativePath: String) throws(JailError) -> Int32 {
        if fd >= 0 { return fd }
        let parentFD = try parent!.open(relativePath: relativePath)
        try Syscalls.mkdir(at: parentFD, name, mode: 0o700, step: relativePath)
        fd = try Syscalls.openDirectory(at: parentFD, name, step: relativePath)
        return fd
    }
}

/// One `collect` walk: the artifacts found so far and the limits left.
private struct OutboxCollection {
    let maxBytes: UInt64
    let maxFiles: Int
    var artifacts: [JailArtifact] = []
    var copiedBytes: UInt64 = 0
    var stopped = false

    init(maxBytes: UInt64, maxFiles: Int) {
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }

    /// Records the entry that goes over a limit, and stops the walk.
    private mutating func overLimit(_ path: String, bytes: UInt64) {
        artifacts.append(JailArtifact(path: path, bytes: bytes, status: .skippedOverLimit))
        stopped = true
    }

    /// Records a refusal (or, when the result is full, the entry over the limit).
    private mutating func refuse(_ path: String, _ reason: String) {
        guard artifacts.count < maxFiles else { return overLimit(path, bytes: 0) }
        artifacts.append(JailArtifact(path: path, bytes: 0, status: .refused(reason)))
    }

    /// The errno name of a failed step.
    private static func reason(_ error: JailError) -> String { "unreadable: \(Errno.name(error.errno ?? 0))" }

    /// Collects the entries of the source directory `source` (at `prefix`) into `destination`.
    mutating func collect(directory source: Int32, into destination: DestinationDirectory, prefix: String, depth: Int)
        throws(JailError)
    {
        let names: [[UInt8]]
        do {
            names = try Syscalls.listDirectory(source, step: prefix.isEmpty ? "." : prefix)
        } catch {
            refuse(prefix.isEmpty ? "." : String(prefix.dropLast()), Self.reason(error))
            return
        }
        for name in names {
            if stopped { return }
            guard let text = String(validating: name, as: UTF8.self) else {
                refuse(prefix + String(decoding: name, as: UTF8.self), "name is not valid UTF-8")
                continue
            }
            let relative = prefix + text
            let st: FileStatus
            do {
                st = try Syscalls.statNoFollow(at: source, name, step: relative)
            } catch {
                refuse(relative, Self.reason(error))
                continue
            }
            switch st.kind {
            case .directory:
                guard depth < JailOutbox.maxDepth else {
                    refuse(relative, "deeper than \(JailOutbox.maxDepth) directories")
                    continue
                }
                let child: Int32
                do {
                    child = try Syscalls.openDirectory(at: source, name, step: relative)
                } catch {
                    refuse(relative, Self.reason(error))
                    continue
                }
                defer { Syscalls.close(child) }
                let target = DestinationDirectory(parent: destination, name: name)
                try collect(directory: child, into: target, prefix: relative + "/", depth: depth + 1)
            case .regular:
                try copy(name, from: source, found: st, into: destination, relative: relative)
            case .symbolicLink: refuse(relative, "symbolic link")
            case .fifo: refuse(relative, "fifo")
            case .socket: refuse(relative, "socket")
            case .characterDevice: refuse(relative, "character device")
            case .blockDevice: refuse(relative, "block device")
            case .unknown: refuse(relative, "unknown file type")
            }
        }
    }

    /// Copies the regular file `name` of `source` (as `found` by `fstatat`), within the limits.
    private mutating func copy(
        _ name: [UInt8], from source: Int32, found: FileStatus, into destination: DestinationDirectory, relative: String
    ) throws(JailError) {
        let input: Int32
        do {
            input = try Syscalls.openNoFollow(at: source, name, step: relative)
        } catch {
            refuse(relative, Self.reason(error))
            return
        }
        defer { Syscalls.close(input) }
        guard let st = try? Syscalls.fileStatus(input, step: relative), st.kind == .regular,
            st.inode == found.inode, st.device == found.device
        else {
            refuse(relative, "changed while collecting")
            return
        }
        let size = UInt64(max(0, st.size))
        guard artifacts.count < maxFiles, size <= maxBytes - copiedBytes else {
            return overLimit(relative, bytes: size)
        }
        let directory = try destination.open(relativePath: String(relative.utf8.dropLast(name.count))!)
        let output = try Syscalls.createExclusive(at: directory, name, mode: 0o600, step: relative)
        defer { Syscalls.close(output) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var copied: UInt64 = 0
        while copied < size {
            let want = Int(min(UInt64(buffer.count), size - copied))
            let n: Int
            do {
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
                n = try Syscalls.readSome(input, into: slice, step: relative)
            } catch {
                try? Syscalls.unlink(at: directory, name, directory: false, step: relative)
                refuse(relative, Self.reason(error))
                return
            }
            if n == 0 { break }
            try Syscalls.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), step: relative)
            copied += UInt64(n)
        }
        copiedBytes += copied
        artifacts.append(JailArtifact(path: relative, bytes: copied, status: .copied))
    }
}
#endif
