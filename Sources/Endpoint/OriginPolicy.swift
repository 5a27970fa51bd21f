/// Which `Origin` headers the endpoint accepts (DNS-rebinding protection): the server's own
/// origins (`http://127.0.0.1:PORT`, `http://localhost:PORT`, `http://[::1]:PORT`, the listen
/// host's, and the public URL's) plus those allowed with `--allow-origin`. A request without
/// `Origin` (every non-browser client) passes; one with any other origin, `null` included, does not.
struct OriginPolicy: Sendable {
    /// The accepted origins.
    let allowed: Set<WebOrigin>

    /// The policy for a server bound to `port` on `listen`'s host, published at `publicURL`.
    init(listen: ListenAddress, port: Int, publicURL: WebOrigin?, extra: [WebOrigin]) {
        var allowed = Set(extra)
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            allowed.insert(WebOrigin(scheme: "http", host: host, port: port))
        }
        if !listen.isWildcard { allowed.insert(WebOrigin(scheme: "http", host: listen.urlHost, port: port)) }
        if let publicURL { allowed.insert(publicURL) }
        self.allowed = allowed
    }

    /// Whether a request whose `Origin` header is `origin` (nil: absent) may proceed.
    func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        // An Origin is exactly scheme://host[:port]: no path, not even a trailing slash.
        guard let parsed = WebOrigin.parse(origin), !origin.dropFirst(parsed.scheme.count + 3).contains("/") else {
            return false
        }
        return allowed.contains(parsed)
    }
}
