/// How the host behaves: where its credential page is, how long pauses wait, page sizes, limits.
public struct MCPHostConfiguration: Sendable {
    /// The base URL of `omega-exec serve` (`http://127.0.0.1:8080`), whose `/credentials/<ticket>`
    /// page takes missing credentials. Nil: no page is reachable, so a missing-credentials pause is
    /// answered with the DESIGN §5 object as an `isError` result (the client can pass `env`).
    public var credentialPageBaseURL: String?
    /// How long a `requestState` and a credential page ticket stay valid (default 15 minutes).
    public var pauseLifetimeMs: Int64 = 15 * 60 * 1000
    /// How long an accepted credential elicitation waits for the values to reach the vault before the
    /// run is resumed anyway (and pauses again if they are still missing): 2 minutes.
    public var credentialWaitMs: Int64 = 2 * 60 * 1000
    /// Tools per `tools/list` page.
    public var pageSize = 50
    /// The largest frame read (bytes).
    public var maximumFrameBytes = JSONRPCMessage.defaultMaximumBytes
    /// How long an inline elicitation (2025-11-25 clients) waits for the client's answer.
    public var elicitationTimeoutMs: Int64 = 15 * 60 * 1000
    /// The server's name and version in `initialize` and `server/discover`.
    public var serverName = "omega-exec"
    /// The version reported.
    public var serverVersion = "0.14.0"

    /// The defaults, with the credential page at `credentialPageBaseURL`.
    public init(credentialPageBaseURL: String? = nil) {
        self.credentialPageBaseURL = credentialPageBaseURL
    }
}
