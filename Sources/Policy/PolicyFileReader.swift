#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The policy module's only system calls: reading one small file whole. Each call retries `EINTR`
/// and failures become `POLICY_UNREADABLE` errors naming the file, the step and the errno.
enum PolicyFileReader {
    /// The outcome of reading a policy file.
    enum Outcome {
        /// The file does not exist (`ENOENT`): the level has no rules.
        case missing
        /// The file's bytes.
        case contents([UInt8])
    }

    /// Reads the regular file at `path`, refusing anything over `limit` bytes.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - limit: Largest size accepted.
    /// - Returns: `.missing` when nothing is at `path`, else the bytes.
    /// - Throws: `POLICY_UNREADABLE` for any other failure (permissions, not a regular file, too large).
    static func read(_ path: String, limit: Int) throws(PolicyError) -> Outcome {
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        } while fd < 0 && errno == EINTR
        if fd < 0 {
            let code = errno
            if code == ENOENT { return .missing }
            throw failure(path, "open", code)
        }
        defer { _ = close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "fstat", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PolicyError(code: .unreadable, message: "expected a regular file", path: path)
        }
        guard Int(info.st_size) <= limit else {
            throw PolicyError(
                code: .unreadable, message: "expected a policy file of at most \(limit) bytes, found \(info.st_size)",
                path: path)
        }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "read", errno)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > limit {
                throw PolicyError(
                    code: .unreadable, message: "expected a policy file of at most \(limit) bytes (it grew while read)",
                    path: path)
            }
        }
        return .contents(bytes)
    }

    private static func failure(_ path: String, _ step: String, _ code: Int32) -> PolicyError {
        PolicyError(
            code: .unreadable, message: "cannot read the policy file (\(step): \(String(cString: strerror(code))))",
            path: path, errno: code)
    }
}

/// `read(2)` (a free function, so it does not collide with `PolicyFileReader.read`).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
