#if os(Linux)
import Crypto
import Glibc

/// The vault's file operations: private directory, the key file (0600, created exclusively, refused
/// when readable by others), reads and atomic writes.
enum VaultFiles {
    static func failure(_ step: String, _ path: String, _ err: Int32) -> VaultError {
        VaultError(code: "VAULT_IO", message: "\(step) \(path): \(String(cString: strerror(err)))")
    }

    /// Creates `path` 0700; missing parents are created 0711 (traversable, not listable), because a
    /// parent may be the appliance's home, which the jail's unprivileged id must traverse.
    static func makeDirectory(_ path: String) throws(VaultError) {
        var prefix = ""
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() {
            prefix += "/" + part
            let mode: mode_t = index == parts.count - 1 ? 0o700 : 0o711
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw failure("mkdir", prefix, errno) }
        }
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws(VaultError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("open", path, errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path, errno)
            }
            if n == 0 { return bytes }
            bytes += buffer[0..<n]
        }
    }

    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(VaultError) {
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("create", temp, errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let err = errno
                close(fd)
                unlink(temp)
                throw failure("write", temp, err)
            }
            offset += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temp, path) == 0 else {
            let err = errno
            unlink(temp)
            throw failure("rename", path, err)
        }
    }

    /// The key file's 32 bytes, creating it (mode 0600, exclusively) when absent.
    static func loadOrCreateKey(_ path: String) throws(VaultError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 {
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw failure("stat", path, errno) }
            guard st.st_uid == geteuid(), st.st_mode & 0o077 == 0 else {
                throw VaultError(
                    code: "VAULT_KEY_UNSAFE",
                    message: "\(path) must be owned by you and not readable by others (chmod 600)")
            }
            var key = [UInt8](repeating: 0, count: 33)
            let n = Glibc.read(fd, &key, 33)
            guard n == 32 else {
                throw VaultError(code: "VAULT_KEY_INVALID", message: "\(path): expected exactly 32 bytes")
            }
            return Array(key[0..<32])
        }
        guard errno == ENOENT else { throw failure("open", path, errno) }
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard out >= 0 else {
            if errno == EEXIST { return try loadOrCreateKey(path) }  // created concurrently
            throw failure("create", path, errno)
        }
        let written = key.withUnsafeBytes { write(out, $0.baseAddress, 32) }
        let synced = fsync(out) == 0
        close(out)
        guard written == 32, synced else { throw failure("write", path, errno) }
        return key
    }
}
#endif
