#if os(Linux)
import SystemCalls

/// The audit log's file operations, over the `SystemCalls` module: the private directory, the lock,
/// the log opened for appending, the tail, one-write appends undone on failure, and the head replaced
/// atomically. Failures are `INTERNAL_ERROR` naming the step and the path (`open /path: Permission denied`).
enum AuditFiles {
    /// The error for a failed system call: `INTERNAL_ERROR`, `<step>: <strerror text>`.
    static func failure(_ error: SystemCallError) -> AuditError {
        AuditError(.internalError, "\(error.step): \(error.errno.message)")
    }

    /// Runs `body`, turning its ``SystemCallError`` into ``failure(_:)``.
    @inline(__always)
    static func mapped<T>(_ body: () throws(SystemCallError) -> T) throws(AuditError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw failure(error) }
    }

    /// Creates `path` 0700 when missing (missing parents 0711, as the home is traversable), and makes
    /// sure it is a directory (not a link to one) owned by this user with no access for others.
    static func prepareDirectory(_ path: String) throws(AuditError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.makeDirectories(path, permissions: 0o700, parentPermissions: 0o711)
            let fd = try SystemCall.open(path, .directoryNoFollow, step: "open \(path)")
            defer { SystemCall.close(fd) }
            let status = try SystemCall.fileStatus(fd, step: "stat \(path)")
            guard status.kind == .directory, status.ownerUID == SystemCall.effectiveUserID else {
                throw SystemCallError("own \(path)", errno: .accessDenied)
            }
            if status.permissions & 0o7777 != 0o700 { try SystemCall.setPermissions(fd, 0o700, step: "chmod \(path)") }
        }
    }

    /// The exclusive lock on `path` (created 0600), waiting for other holders.
    static func lock(_ path: String) throws(AuditError) -> FileLock {
        try mapped { () throws(SystemCallError) in try FileLock(path: path) }
    }

    /// The log file opened for reading and appending (`O_APPEND`), created 0600 when missing, never
    /// through a symbolic link; refused unless it is a regular file. Its mode is reset to 0600.
    static func openForAppending(_ path: String) throws(AuditError) -> Int32 {
        try mapped { () throws(SystemCallError) in
            let fd = try SystemCall.open(path, [.readWrite, .append, .create, .noFollow], permissions: 0o600)
            do throws(SystemCallError) {
                let status = try SystemCall.fileStatus(fd, step: "stat \(path)")
                guard status.kind == .regular else { throw SystemCallError("open \(path)", errno: .invalidArgument) }
                if status.permissions & 0o7777 != 0o600 {
                    try SystemCall.setPermissions(fd, 0o600, step: "chmod \(path)")
                }
            } catch {
                SystemCall.close(fd)
                throw error
            }
            return fd
        }
    }

    /// The log file opened for reading (never through a symbolic link), or nil when it does not exist.
    static func openForReading(_ path: String) throws(AuditError) -> Int32? {
        do throws(SystemCallError) {
            return try SystemCall.open(path, .noFollow)
        } catch  where error.errno == .noEntry {
            return nil
        } catch {
            throw failure(error)
        }
    }

    /// The size of the open file `fd` in bytes.
    static func size(_ fd: Int32, path: String) throws(AuditError) -> Int64 {
        try mapped { () throws(SystemCallError) in try SystemCall.fileStatus(fd, step: "stat \(path)").size }
    }

    /// Up to `count` bytes of `fd` from `offset` (fewer at the end of the file).
    static func read(_ fd: Int32, from offset: Int64, count: Int, path: String) throws(AuditError) -> [UInt8] {
        try mapped { () throws(SystemCallError) in
            try SystemCall.seek(fd, to: offset, step: "lseek \(path)")
            return try SystemCall.readAll(fd, upTo: count, step: "read \(path)")
        }
    }

    /// Appends `bytes` to `fd` (open with `O_APPEND`) with one `write(2)`, then `fdatasync(2)`. When
    /// either fails or the write is short, the file is cut back to `size` (its length before) and the
    /// error thrown: the file is as it was.
    static func append(_ bytes: [UInt8], to fd: Int32, size: Int64, path: String) throws(AuditError) {
        do throws(SystemCallError) {
            let written = try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) -> Int in try SystemCall.write(fd, buffer, step: "write \(path)") }
            }.get()
            if written != bytes.count { throw SystemCallError("write \(path)", errno: .noSpace) }
            try SystemCall.synchronizeData(fd, step: "fdatasync \(path)")
        } catch {
            try? cut(fd, to: size, path: path)
            throw failure(error)
        }
    }

    /// Cuts `fd` back to `size` bytes and flushes it (undoing a failed or interrupted append).
    static func cut(_ fd: Int32, to size: Int64, path: String) throws(AuditError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.truncate(fd, to: size, step: "ftruncate \(path)")
            try SystemCall.synchronizeData(fd, step: "fdatasync \(path)")
        }
    }

    /// The head file's bytes (at most ``AuditHead/maximumBytes`` + 1, never through a link), or nil
    /// when it does not exist.
    static func readHead(_ path: String) throws(AuditError) -> [UInt8]? {
        do throws(SystemCallError) {
            return try SystemCall.readFile(path, upTo: AuditHead.maximumBytes + 1, options: .noFollow)
        } catch  where error.errno == .noEntry {
            return nil
        } catch {
            throw failure(error)
        }
    }

    /// Replaces `path` with `bytes` atomically: `<path>.tmp` created exclusively (0600, never through a
    /// link; a stale one left by a crash is removed first), written, `fsync`ed, renamed over `path`;
    /// then the directory is flushed so the rename survives a crash (best effort: once renamed, the
    /// head has moved, and a failed directory flush is not reported).
    ///
    /// Callers hold the log's lock, so no other writer uses the temporary name meanwhile.
    static func replace(_ path: String, with bytes: [UInt8], directory: String) throws(AuditError) {
        let temp = path + ".tmp"
        let fd: Int32
        do throws(SystemCallError) {
            fd = try SystemCall.open(temp, .createNew, permissions: 0o600, step: "create \(temp)")
        } catch  where error.errno == .exists {
            try mapped { () throws(SystemCallError) in try SystemCall.unlink(temp) }
            fd = try mapped { () throws(SystemCallError) in
                try SystemCall.open(temp, .createNew, permissions: 0o600, step: "create \(temp)")
            }
        } catch {
            throw failure(error)
        }
        do throws(SystemCallError) {
            defer { SystemCall.close(fd) }
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) in try SystemCall.writeAll(fd, buffer, step: "write \(temp)") }
            }.get()
            try SystemCall.synchronize(fd, step: "fsync \(temp)")
            try SystemCall.rename(temp, to: path, step: "rename \(temp) to \(path)")
        } catch {
            try? SystemCall.unlink(temp)
            throw failure(error)
        }
        if let directoryFD = try? SystemCall.open(directory, .directoryNoFollow) {
            try? SystemCall.synchronize(directoryFD)
            SystemCall.close(directoryFD)
        }
    }
}
#endif
