import Foundation
import Glibc

/// A plain TCP connection to the server under test, for what an HTTP client library will not send
/// (bare CR in a header, a chunked body written while the answer comes) or do (hang up mid-stream).
/// Blocking I/O runs on a global queue, never on the cooperative pool the server's handlers need.
final class RawHTTPConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private let lock = NSLock()
    private var closed = false

    /// Connects to `port` on the loopback (IPv4, else IPv6: the test server binds `localhost`).
    init(port: Int) throws {
        var descriptor: Int32 = -1
        for family in [AF_INET, AF_INET6] {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            var ok: Int32 = -1
            if family == AF_INET {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                ok = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            } else {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = in_port_t(UInt16(port).bigEndian)
                address.sin6_addr = in6addr_loopback
                ok = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
            if ok == 0 {
                descriptor = fd
                break
            }
            Glibc.close(fd)
        }
        guard descriptor >= 0 else { throw Failure(description: "cannot connect to port \(port)") }
        fd = descriptor
    }

    deinit { close() }

    /// Writes all of `bytes` (false when the peer is gone).
    func write(_ bytes: [UInt8]) async -> Bool {
        await offPool {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes {
                    send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// Writes `text` (UTF-8).
    func write(_ text: String) async -> Bool { await write(Array(text.utf8)) }

    /// Reads until `stop` holds for what was read, the peer closes, or `timeout` seconds pass.
    func read(timeout: Double, until stop: @escaping @Sendable (String) -> Bool = { _ in false }) async -> String {
        await offPool {
            var data: [UInt8] = []
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline {
                var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
                let ready = poll(&descriptor, 1, min(left, 50))
                if ready < 0 && errno != EINTR { break }
                if ready <= 0 { continue }
                let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
                if stop(String(decoding: data, as: UTF8.self)) { break }
            }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Closes the connection (the client hangs up).
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
