/// Everything one run needs. A plain value: build it, then hand it to `Jail.run`.
public struct JailSpec: Sendable, Equatable {
    /// A bind of a host path into the jail.
    public struct Bind: Sendable, Equatable {
        /// Absolute host path.
        public var source: String
        /// Absolute path inside the jail.
        public var destination: String
        /// Whether the program may write through it.
        public var writable: Bool

        /// Creates a bind.
        public init(source: String, destination: String, writable: Bool) {
            self.source = source
            self.destination = destination
            self.writable = writable
        }

        /// Parses `SRC[:DST]` as given to `--ro-bind`/`--bind`; relative sources resolve against `cwd`.
        public static func parse(_ text: String, writable: Bool, cwd: String) throws(JailError) -> Bind {
            let flag = writable ? "bind" : "ro-bind"
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let first = parts.first, !first.isEmpty else {
                throw .invalid(flag, "expected SRC[:DST], got '\(text)'")
            }
            let source = Path.normalize(first.hasPrefix("/") ? first : (cwd.hasSuffix("/") ? cwd : cwd + "/") + first)
            let destination = parts.count > 1 ? parts[1] : source
            return Bind(source: source, destination: destination, writable: writable)
        }
    }

    /// Where `/work` comes from.
    public enum Workspace: Sendable, Equatable {
        /// A fresh tmpfs (the size of `limits.tmpfsBytes`), gone with the run.
        case tmpfs
        /// A host directory, bound writable; it must be writable by the jail's host id.
        case hostDirectory(String)
    }

    /// Network of the run: always a fresh namespace, never a route out.
    public enum Network: String, Sendable, Equatable {
        /// No interface up.
        case none
        /// Only `lo`, up.
        case loopback
    }

    /// The program: a path inside the jail, or a name looked up in `PATH` inside the jail.
    public var program: String
    /// Arguments after the program name.
    public var arguments: [String]
    /// Extra environment on top of the jail's minimal one (`KEY=VALUE` semantics; later wins).
    public var environment: [(String, String)]
    /// Limits of the run.
    public var limits: JailLimits
    /// Network mode.
    public var network: Network
    /// Extra binds.
    public var binds: [Bind]
    /// The run workspace at `/work`.
    public var workspace: Workspace
    /// A tool package mounted read-only at `/tool`.
    public var toolDirectory: String?
    /// Working directory inside the jail.
    public var workdir: String
    /// A host file fed to the program's stdin (`nil`: empty stdin).
    public var stdinPath: String?
    /// Data fed to the program's stdin (takes precedence over `stdinPath`).
    public var stdinData: [UInt8]?
    /// The compiled seccomp program (`struct sock_filter` array as bytes); `nil` disables seccomp,
    /// which only trusted callers (tests of the jail itself) should ever do.
    public var seccompProgram: [UInt8]?
    /// Hostname inside.
    public var hostname: String
    /// The host path of the run's egress proxy socket (a Unix stream socket), or `nil` for no egress
    /// at all (the default: the jail then has no way out).
    ///
    /// When set, the socket is bound read-only at `JailSpec.egressSocketPath`, `omega-jail-init`
    /// listens on `127.0.0.1:JailSpec.egressProxyPort` before the program starts and relays every
    /// connection, byte for byte, to a fresh connection of its own to that socket, and the program's
    /// environment names that listener as its HTTP(S) proxy. Nothing else changes: the network
    /// namespace still has only `lo` and no route. Requires `network == .loopback` and the init.
    ///
    /// The jail mounts the socket with the jail's host identity (`Jail.hostUID`/`hostGID`), so
    /// every directory above it must be searchable by that identity (e.g. mode 0710 with group
    /// `Jail.hostGID`), and the socket itself writable by it (e.g. mode 0666); otherwise the run
    /// ends as a setup error naming the failed step (`stat <path>: EACCES`).
    public var egressSocket: String?

    /// Where the egress socket appears inside the jail (a read-only bind; `omega-jail-init` is the
    /// one that connects to it). Must match `CJ_EGRESS_SOCKET_PATH` in `cjail.h`.
    public static let egressSocketPath = "/run/omega/egress.sock"
    /// The directory of `egressSocketPath`; no bind may cover it or go inside it when the run has egress.
    static let egressSocketDirectory = "/run/omega"
    /// The TCP port `omega-jail-init` listens on at 127.0.0.1 when the run has egress.
    public static let egressProxyPort = 3128
    /// The proxy URL the program is given when the run has egress.
    public static var egressProxyURL: String { "http://127.0.0.1:\(egressProxyPort)" }

    /// A spec running `program` with every default of DESIGN §2.
    public init(program: String, arguments: [String] = []) {
        self.program = program
        self.arguments = arguments
        self.environment = []
        self.limits = JailLimits()
        self.network = .loopback
        self.binds = []
        self.workspace = .tmpfs
        self.toolDirectory = nil
        self.workdir = "/work"
        self.stdinPath = nil
        self.stdinData = nil
        self.seccompProgram = nil
        self.hostname = "omega"
        self.egressSocket = nil
    }

    /// Field-by-field equality (the environment compares as ordered KEY=VALUE pairs).
    public static func == (lhs: JailSpec, rhs: JailSpec) -> Bool {
        lhs.program == rhs.program && lhs.arguments == rhs.arguments
            && lhs.environment.map { "\($0.0)=\($0.1)" } == rhs.environment.map { "\($0.0)=\($0.1)" }
            && lhs.limits == rhs.limits && lhs.network == rhs.network && lhs.binds == rhs.binds
            && lhs.workspace == rhs.workspace && lhs.toolDirectory == rhs.toolDirectory && lhs.workdir == rhs.workdir
            && lhs.stdinPath == rhs.stdinPath && lhs.stdinData == rhs.stdinData
            && lhs.seccompProgram == rhs.seccompProgram && lhs.hostname == rhs.hostname
            && lhs.egressSocket == rhs.egressSocket
    }

    /// The environment the program sees: the jail's minimal one plus `environment`, then, when the
    /// run has egress, the proxy variables.
    ///
    /// With egress, `HTTP_PROXY`, `HTTPS_PROXY`, `http_proxy` and `https_proxy` are always
    /// `JailSpec.egressProxyURL` and `NO_PROXY`/`no_proxy` are empty, whatever `environment` says:
    /// they are applied last. The proxy is the only way out anyway (there is no route), but a tool
    /// must not be told a wrong one, nor be told to go direct for some hosts, and then fail in ways
    /// that look like network trouble.
    public var effectiveEnvironment: [String] {
        var pairs: [(String, String)] = [
            ("PATH", "/usr/local/bin:/usr/bin:/bin"), ("HOME", "/work"), ("LANG", "C.UTF-8"), ("TMPDIR", "/tmp"),
        ]
        for (key, value) in environment {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                pairs[index].1 = value
            } else {
                pairs.append((key, value))
            }
        }
        if egressSocket != nil {
            let proxy = Self.egressProxyURL
            let forced = [
                ("HTTP_PROXY", proxy), ("HTTPS_PROXY", proxy), ("http_proxy", proxy), ("https_proxy", proxy),
                ("NO_PROXY", ""), ("no_proxy", ""),
            ]
            for (key, value) in forced {
                pairs.removeAll { $0.0 == key }
                pairs.append((key, value))
            }
        }
        return pairs.map { "\($0.0)=\($0.1)" }
    }

    /// Checks the spec; the error names the field and what was expected.
    public func validate() throws(JailError) {
        guard !program.isEmpty else { throw .invalid("program", "expected a program name or path") }
        guard !program.utf8.contains(0), arguments.allSatisfy({ !$0.utf8.contains(0) }) else {
            throw .invalid("program", "arguments must not contain NUL bytes")
        }
        try limits.validate()
        for (key, value) in environment {
            guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0), !value.utf8.contains(0) else {
                throw .invalid("env", "expected KEY=VALUE with a non-empty KEY, got '\(key)'")
            }
        }
        guard Path.isCleanAbsolute(workdir) else {
            throw .invalid("workdir", "expected an absolute path without '..', got '\(workdir)'")
        }
        guard hostname.utf8.count <= 64, !hostname.isEmpty else { throw .invalid("hostname", "expected 1-64 bytes") }
        for bind in binds {
            let flag = bind.writable ? "bind" : "ro-bind"
            guard Path.isCleanAbsolute(bind.source) else {
                throw .invalid(flag, "expected an absolute source path without '..', got '\(bind.source)'")
            }
            guard Path.isCleanAbsolute(bind.destination), bind.destination != "/" else {
                throw .invalid(
                    flag, "expected an absolute destination other than / without '..', got '\(bind.destination)'")
            }
            guard !Path.reservedPrefixes.contains(where: { Path.isWithin(bind.destination, $0) }) else {
                throw .invalid(flag, "destination '\(bind.destination)' would cover /proc or /dev")
            }
            if egressSocket != nil,
                Path.isWithin(Self.egressSocketPath, bind.destination)
                    || Path.isWithin(bind.destination, Self.egressSocketDirectory)
            {
                throw .invalid(flag, "destination '\(bind.destination)' would cover the egress socket")
            }
        }
        if case .hostDirectory(let dir) = workspace, !Path.isCleanAbsolute(dir) {
            throw .invalid("workspace", "expected an absolute host path without '..', got '\(dir)'")
        }
        if let tool = toolDirectory, !Path.isCleanAbsolute(tool) {
            throw .invalid("tool", "expected an absolute host path without '..', got '\(tool)'")
        }
        if let socket = egressSocket {
            guard Path.isCleanAbsolute(socket), socket != "/" else {
                throw .invalid(
                    "egress", "expected an absolute host path of a Unix socket without '..', got '\(socket)'")
            }
            guard network == .loopback else {
                throw .invalid(
                    "egress", "needs the loopback network (the proxy listens on 127.0.0.1), got '\(network.rawValue)'")
            }
        }
    }
}

/// Path helpers (pure string work; no file system access).
public enum Path {
    /// Destinations a bind may not cover: the jail's own kernel interfaces.
    static let reservedPrefixes = ["/proc", "/dev"]

    /// Whether `path` is absolute and has no `.`/`..` components.
    public static func isCleanAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.utf8.contains(0) else { return false }
        return !path.split(separator: "/").contains { $0 == ".." || $0 == "." }
    }

    /// Whether `path` is `prefix` or below it.
    public static func isWithin(_ path: String, _ prefix: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }

    /// Collapses `.`, `..` and repeated slashes of an absolute path.
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
