import Egress
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's resolver: `getaddrinfo` (any family, stream sockets) run on a thread of
/// `NIOThreadPool.singleton`, so a slow lookup never blocks an event loop or the cooperative pool.
///
/// Each answer is turned back into text with `inet_ntop` and parsed with ``Egress/IPAddress`` (so only
/// canonical forms come out); duplicates are dropped and the resolver's order is kept.
public struct SystemResolver: EgressResolver {
    /// A resolver over `getaddrinfo`.
    public init() {}

    /// The addresses `host` resolves to.
    ///
    /// - Throws: ``SystemResolverError`` with the `getaddrinfo` status when the lookup fails or
    ///   answers nothing usable; `NIOThreadPoolError.ThreadPoolInactive` when the pool is shut down.
    public func resolve(host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(host) }
    }

    /// The blocking lookup.
    static func lookUp(_ host: String) throws(SystemResolverError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        var status: Int32
        repeat {
            status = getaddrinfo(host, nil, &hints, &list)
        } while status == EAI_SYSTEM && errno == EINTR
        guard status == 0 else { throw SystemResolverError(status: status) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var seen = Set<IPAddress>()
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ai_next }
            guard let socketAddress = entry.pointee.ai_addr, let text = Self.text(of: socketAddress),
                let address = IPAddress(text), seen.insert(address).inserted
            else { continue }
            addresses.append(address)
        }
        guard !addresses.isEmpty else { throw SystemResolverError(status: EAI_NONAME) }
        return addresses
    }

    /// `inet_ntop` of an `AF_INET` or `AF_INET6` socket address; nil for any other family.
    static func text(of socketAddress: UnsafeMutablePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(socketAddress.pointee.sa_family)
        let written: UnsafePointer<CChar>? = buffer.withUnsafeMutableBufferPointer { out in
            switch family {
            case AF_INET:
                return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var raw = v4.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, out.baseAddress, socklen_t(out.count))
                }
            case AF_INET6:
                return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var raw = v6.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &raw, out.baseAddress, socklen_t(out.count))
                }
            default:
                return nil
            }
        }
        guard written != nil else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// A failed `getaddrinfo` lookup.
public struct SystemResolverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `getaddrinfo` status (`EAI_NONAME`, `EAI_AGAIN`, …).
    public let status: Int32

    /// `getaddrinfo: <gai_strerror text>`.
    public var description: String { "getaddrinfo: " + String(cString: gai_strerror(status)) }
}
