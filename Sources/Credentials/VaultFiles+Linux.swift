#if os(Linux)
import Crypto
import SystemCalls

/// The vault's file operations, over the `SystemCalls` module: the private directory, the key file
/// (0600, created exclusively, refused when others may read it), reads and atomic writes. Failures are
/// `VAULT_IO` naming the step and the path (`open /path: Permission denied`).
enum VaultFiles {
    /// The error for a failed system call: `VAULT_IO`, `<step>: <strerror text>`.
    static func failure(_ error: SystemCallError) -> VaultError {
        VaultError(code: .io, message: "\(error.step): \(error.errno.message)")
    }

    /// Runs `body`, turning its ``SystemCallError`` into ``failure(_:)``.
    @inline(__always)
    private static func mapped<T>(_ body: () throws(SystemCallError) -> T) throws(VaultError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw failure(error) }
    }

    /// Creates `path` 0700; missing parents are created 0711 (traversable, not listable), because a
    /// parent may be the appliance's home, which the jail's unprivileged id must traverse.
    static func makeDirectory(_ path: String) throws(VaultError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.makeDirectories(path, permissions: 0o700, parentPermissions: 0o711)
        }
    }

    /// The whole file (never through a symbolic link), or nil when it does not exist.
    static func read(_ path: String) throws(VaultError) -> [UInt8]? {
        do throws(SystemCallError) {
            return try SystemCall.readFile(path, options: .noFollow)
        } catch  where error.errno == .noEntry {
            return nil
        } catch {
            throw failure(error)
        }
    }

    /// Replaces `path` atomically: a new private file beside it (0600), written, flushed, renamed over it.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(VaultError) {
        let temp = path + ".tmp-\(SystemCall.processID)"
        let fd = try mapped { () throws(SystemCallError) in
            try SystemCall.open(temp, .createNew, permissions: 0o600, step: "create \(temp)")
        }
        do throws(SystemCallError) {
            defer { SystemCall.close(fd) }
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) in try SystemCall.writeAll(fd, buffer, step: "write \(temp)") }
            }.get()
            try SystemCall.synchronize(fd, step: "fsync \(temp)")
        } catch {
            try? SystemCall.unlink(temp)
            throw failure(error)
        }
        do throws(SystemCallError) {
            try SystemCall.rename(temp, to: path, step: "rename \(path)")
        } catch {
            try? SystemCall.unlink(temp)
            throw failure(error)
        }
    }

    /// The key file's 32 bytes, creating it (mode 0600, exclusively) when absent.
    static func loadOrCreateKey(_ path: String) throws(VaultError) -> [UInt8] {
        let fd: Int32
        do throws(SystemCallError) {
            fd = try SystemCall.open(path, .noFollow)
        } catch  where error.errno == .noEntry {
            return try createKey(path)
        } catch {
            throw failure(error)
        }
        defer { SystemCall.close(fd) }
        let status = try mapped { () throws(SystemCallError) in try SystemCall.fileStatus(fd, step: "stat \(path)") }
        guard status.ownerUID == SystemCall.effectiveUserID, !status.isAccessibleByOthers else {
            throw VaultError(
                code: .keyUnsafe, message: "\(path) must be owned by you and not readable by others (chmod 600)"
            )
        }
        let key = try mapped { () throws(SystemCallError) in try SystemCall.readAll(fd, upTo: 33, step: "read \(path)")
        }
        guard key.count == 32 else {
            throw VaultError(code: .keyInvalid, message: "\(path): expected exactly 32 bytes")
        }
        return key
    }

    /// A new random key in a new key file `path` (0600, created exclusively; one another process
    /// created meanwhile is loaded instead).
    private static func createKey(_ path: String) throws(VaultError) -> [UInt8] {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let out: Int32
        do throws(SystemCallError) {
            out = try SystemCall.open(path, .createNew, permissions: 0o600, step: "create \(path)")
        } catch  where error.errno == .exists {
            return try loadOrCreateKey(path)  // created concurrently
        } catch {
            throw failure(error)
        }
        defer { SystemCall.close(out) }
        try mapped { () throws(SystemCallError) in
            try key.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) in try SystemCall.writeAll(out, buffer, step: "write \(path)") }
            }.get()
            try SystemCall.synchronize(out, step: "write \(path)")
        }
        return key
    }
}
#endif
