import Egress
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's resolver: `getaddrinfo` (any family, stream sockets) run on a thread of the proxy's own
/// ``lookupPool``, so a slow lookup never blocks an event loop, the cooperative pool, or
/// `NIOThreadPool.singleton` (which the HTTP server shares).
///
/// The name is looked up fully qualified (`name.`), so the resolver's search list and `ndots` can never
/// turn a granted name into another one (`api.example.com.corp.internal`). The one exception is
/// `localhost`, which host files spell without the dot: it is looked up as given when `localhost.`
/// finds nothing (its addresses are loopback, which the address policy refuses anyway).
///
/// Each answer is turned back into text with `inet_ntop` and parsed with ``Egress/IPAddress`` (so only
/// canonical forms come out); duplicates are dropped and the resolver's order is kept.
public struct SystemResolver: EgressResolver {
    /// A resolver over `getaddrinfo`.
    public init() {}

    /// Threads for egress lookups only (four, for every session of the process; each session runs at most
    /// two lookups at once). Started on first use, never shut down.
    static let lookupPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// The names given to `getaddrinfo` for `host`, in order, until one answers.
    static func queries(for host: String) -> [String] {
        let bare = host.hasSuffix(".") ? String(host.dropLast()) : host
        return bare == "localhost" ? [bare + ".", bare] : [bare + "."]
    }

    /// The addresses `host` resolves to.
    ///
    /// - Throws: ``SystemResolverError`` with the `getaddrinfo` status when the lookup fails or
    ///   answers nothing usable; `NIOThreadPoolError.ThreadPoolInactive` when the pool is shut down.
    public func resolve(host: String) async throws -> [IPAddress] {
        try await Self.lookupPool.runIfActive { try Self.lookUpAny(host) }
    }

    /// The addresses `host` resolves to, looked up on ``lookupPool`` and completed on `loop` (never on the
    /// Swift concurrency pool).
    public func resolve(host: String, on loop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        Self.lookupPool.runIfActive(eventLoop: loop) { try Self.lookUpAny(host) }
    }

    /// The blocking lookup of `host`'s queries: the first that answers, else the last failure.
    static func lookUpAny(_ host: String) throws(SystemResolverError) -> [IPAddress] {
        var failure = SystemResolverError(status: EAI_NONAME)
        for query in queries(for: host) {
            do throws(SystemResolverError) {
                return try lookUp(query)
            } catch {
                failure = error
            }
        }
        throw failure
    }

    /// The blocking lookup of exactly `host`.
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
