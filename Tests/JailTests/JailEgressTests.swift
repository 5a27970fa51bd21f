#if os(Linux)
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

@testable import Jail

/// The jail's one way out (`JailSpec.egressSocket`): `omega-jail-init` listens on 127.0.0.1:3128 and relays
/// each connection, verbatim, to a fresh connection to the run's host Unix socket, bound read-only at
/// `/run/omega/egress.sock`. A test server on that socket (`EgressServer`) stands in for the proxy: it reads a
/// connection to its EOF, then answers `RECEIVED <n>\n` followed by the bytes it received, and closes.
/// Tools are python3 scripts, run under the default seccomp profile.
@Suite(.serialized) struct JailEgressTests {
    static let jail = Jail()
    static let seccomp = try? SeccompPolicy.program(named: "default").bytes
    static var canJail: Bool { JailRunTests.canJail && geteuid() == 0 }

    /// Runs `python3 -c script` with egress to `server` (nil: no egress) and returns its verdict.
    func python(
        _ script: String, server: EgressServer?, _ configure: (inout JailSpec) -> Void = { _ in }
    ) throws -> JailResult {
        try #require(Self.jail.hasInit, "omega-jail-init was not found beside the test bundle (run `swift build`)")
        var spec = JailSpec(program: "/usr/bin/python3", arguments: ["-c", script])
        spec.seccompProgram = Self.seccomp
        spec.limits.wallSeconds = 60
        spec.egressSocket = server?.path
        configure(&spec)
        return try Self.jail.run(spec)
    }

    /// Python helpers every script starts with.
    static let prelude = """
        import errno, hashlib, os, select, socket, sys, time
        def dial():
            s = socket.create_connection(("127.0.0.1", 3128), timeout=20)
            return s
        def exchange(payload):
            s = dial()
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            s.close()
            return b"".join(chunks)
        def code(e):
            return errno.errorcode.get(e.errno, str(e.errno))

        """

    // MARK: Reaching the proxy

    @Test(.enabled(if: canJail)) func toolReachesTheHostSocketThroughTheLoopbackProxyPort() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let request = "GET http://example.com/ HTTP/1.1\\r\\nHost: example.com\\r\\n\\r\\n"
        let result = try python(
            Self.prelude + """
                reply = exchange(b"\(request)")
                sys.stdout.write(reply.decode())
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        let sent = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
        #expect(result.stdout == "RECEIVED \(sent.utf8.count)\n" + sent, "\(result)")
        #expect(server.received == [Array(sent.utf8)])
    }

    @Test(.enabled(if: canJail)) func proxyVariablesNameTheRelayAndTheSpecCannotOverrideThem() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let names = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"]
        let result = try python(
            "import os\nfor k in \(names): print(k + '=' + repr(os.environ.get(k)))", server: server
        ) { spec in
            spec.environment = [
                ("HTTP_PROXY", "http://evil.example:8080"), ("https_proxy", "http://10.0.0.1:3128"),
                ("NO_PROXY", "*"), ("no_proxy", "example.com"), ("OMEGA_KEPT", "yes"),
            ]
        }
        #expect(result.status == .ok, "\(result)")
        let proxy = "'http://127.0.0.1:3128'"
        #expect(
            result.stdout == """
                HTTP_PROXY=\(proxy)
                HTTPS_PROXY=\(proxy)
                http_proxy=\(proxy)
                https_proxy=\(proxy)
                NO_PROXY=''
                no_proxy=''

                """, "\(result)")
        var spec = JailSpec(program: "/bin/true")
        spec.environment = [("OMEGA_KEPT", "yes"), ("HTTP_PROXY", "http://evil.example:8080")]
        spec.egressSocket = "/run/x.sock"
        let environment = spec.effectiveEnvironment
        #expect(environment.contains("OMEGA_KEPT=yes"))
        #expect(environment.filter { $0.hasPrefix("HTTP_PROXY=") } == ["HTTP_PROXY=http://127.0.0.1:3128"])
        #expect(JailSpec.egressProxyURL == "http://127.0.0.1:3128")
    }

    // MARK: Streams

    /// 32 MiB up, shut down the write side, 32 MiB back: both arrive intact (SHA-256 on each end).
    @Test(.enabled(if: canJail)) func largeTransfersArriveIntactAndHalfCloseStillDeliversTheReply() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                data = os.urandom(32 << 20)
                s = dial()
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                header = b""
                while not header.endswith(b"\\n"):
                    header += s.recv(1)
                back = hashlib.sha256()
                total = 0
                while True:
                    chunk = s.recv(1 << 16)
                    if not chunk:
                        break
                    back.update(chunk)
                    total += len(chunk)
                print(hashlib.sha256(data).hexdigest())
                print(header.decode().strip(), total, back.hexdigest())
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(result)")
        let sentDigest = lines[0]
        #expect(lines[1] == "RECEIVED \(32 << 20) \(32 << 20) \(sentDigest)", "\(result)")
        let received = server.received
        try #require(received.count == 1)
        #expect(received[0].count == 32 << 20)
        #expect(try Self.sha256(received[0]) == sentDigest)
    }

    @Test(.enabled(if: canJail)) func concurrentConnectionsEachGetTheirOwnHostConnection() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                socks = [dial() for i in range(8)]
                for i, s in enumerate(socks):
                    s.sendall(b"connection %d" % i)
                for s in socks:
                    s.shutdown(socket.SHUT_WR)
                for s in reversed(socks):
                    reply = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        reply += chunk
                    print(reply.decode().replace("\\n", " "))
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        let expected = (0..<8).reversed().map { "RECEIVED 12 connection \($0)" }
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected, "\(result)")
        #expect(server.connections == 8)
        #expect(Set(server.received.map { String(decoding: $0, as: UTF8.self) }).count == 8)
    }

    /// 70 connections held open at once: 64 are relayed, the 6 beyond are closed at once; once they are all
    /// gone the relay serves new connections again.
    @Test(.enabled(if: canJail)) func connectionsBeyondSixtyFourAreClosedAndTheRelayKeepsServing() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                socks = [dial() for i in range(70)]
                time.sleep(1.5)
                readable, _, _ = select.select(socks, [], [], 0)
                closed = []
                for s in readable:
                    try:
                        closed.append(s.recv(1) == b"")
                    except OSError:
                        closed.append(True)
                print("closed", len(readable), all(closed))
                live = [s for s in socks if s not in readable]
                ok = 0
                for i, s in enumerate(live):
                    s.sendall(b"live %02d" % i)
                    s.shutdown(socket.SHUT_WR)
                for i, s in enumerate(live):
                    reply = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        reply += chunk
                    ok += reply == b"RECEIVED 7\\nlive %02d" % i
                print("live", len(live), ok)
                for s in socks:
                    s.close()
                time.sleep(0.5)
                print(exchange(b"after").decode().replace("\\n", " "))
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        #expect(result.stdout == "closed 6 True\nlive 64 64\nRECEIVED 5 after\n", "\(result)")
        #expect(server.connections == 65)
    }

    // MARK: Still no other way out

    @Test(.enabled(if: canJail)) func egressJailStillHasNoRouteAndOnlyLoopback() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                for family, host, port in [(socket.AF_INET, "1.1.1.1", 53), (socket.AF_INET, "10.0.0.1", 80),
                                           (socket.AF_INET6, "2001:4860::1", 80)]:
                    try:
                        s = socket.socket(family, socket.SOCK_STREAM)
                        s.settimeout(5)
                        s.connect((host, port))
                        print("connect", host, "CONNECTED")
                    except OSError as e:
                        print("connect", host, code(e))
                try:
                    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    u.sendto(b"x", ("8.8.8.8", 53))
                    print("udp SENT")
                except OSError as e:
                    print("udp", code(e))
                devices = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
                print("dev", ",".join(devices))
                print("routes", len(open("/proc/net/route").read().splitlines()) - 1)
                print(exchange(b"still").decode().replace("\\n", " "))
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        #expect(
            result.stdout == """
                connect 1.1.1.1 ENETUNREACH
                connect 10.0.0.1 ENETUNREACH
                connect 2001:4860::1 ENETUNREACH
                udp ENETUNREACH
                dev lo
                routes 0
                RECEIVED 5 still

                """, "\(result)")
    }

    @Test(.enabled(if: canJail)) func egressSocketMountIsReadOnly() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                import stat
                path = "/run/omega/egress.sock"
                print("socket", stat.S_ISSOCK(os.stat(path).st_mode))
                attempts = [
                    ("unlink", lambda: os.unlink(path)),
                    ("rename", lambda: os.rename(path, "/run/omega/moved")),
                    ("create", lambda: open("/run/omega/new", "w")),
                    ("mkdir", lambda: os.mkdir("/run/omega/dir")),
                    ("chmod", lambda: os.chmod(path, 0o777)),
                    ("symlink", lambda: os.symlink("/tmp", "/run/omega/link")),
                ]
                for name, attempt in attempts:
                    try:
                        attempt()
                        print(name, "DONE")
                    except OSError as e:
                        print(name, code(e))
                print(sorted(os.listdir("/run/omega")))
                print(exchange(b"ro").decode().replace("\\n", " "))
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "socket True", "\(result)")
        for name in ["unlink", "rename", "create", "mkdir", "chmod", "symlink"] {
            let line = lines.first { $0.hasPrefix(name + " ") } ?? "\(name) missing"
            #expect(["EROFS", "EACCES", "EPERM"].contains(line.dropFirst(name.count + 1)), "\(line)")
        }
        #expect(lines.suffix(2) == ["['egress.sock']", "RECEIVED 2 ro"], "\(result)")
        #expect(Syscalls.exists(server.path), "the host socket must survive the run")
    }

    /// pid 1 ignores every signal the tool sends (SIGKILL and SIGSTOP included) and keeps relaying.
    @Test(.enabled(if: canJail)) func toolCannotKillOrStopTheRelay() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                import signal
                print(exchange(b"before").decode().replace("\\n", " "))
                for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD,
                            signal.SIGPIPE, signal.SIGHUP):
                    try:
                        os.kill(1, sig)
                    except OSError as e:
                        print("kill", sig, code(e))
                time.sleep(0.3)
                print(open("/proc/1/status").read().split("State:")[1].split()[0])
                print(exchange(b"after").decode().replace("\\n", " "))
                """, server: server
        ) { $0.limits.wallSeconds = 20 }
        #expect(result.status == .ok, "\(result)")
        #expect(result.stdout == "RECEIVED 6 before\nS\nRECEIVED 5 after\n", "\(result)")
    }

    /// A proxy that is not there (its socket refuses): the tool's connection is accepted and closed at once,
    /// nothing hangs, and the run itself is unaffected.
    @Test(.enabled(if: canJail)) func whenTheProxyRefusesTheToolsConnectionIsClosed() throws {
        let server = try EgressServer(group: Self.jail.hostGID, listening: false)
        defer { server.stop() }
        let result = try python(
            Self.prelude + """
                for i in range(3):
                    s = dial()
                    s.settimeout(5)
                    try:
                        print(s.recv(1))
                    except OSError as e:
                        print(code(e))
                """, server: server)
        #expect(result.status == .ok, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0 == "b''" || $0 == "ECONNRESET" }, "\(result)")
    }

    /// The jail mounts the socket with its own host identity: a directory it cannot search (root's 0700) makes
    /// the run a setup error naming the step, never a run without its proxy.
    @Test(.enabled(if: canJail)) func socketInADirectoryTheJailCannotSearchIsASetupError() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        #expect(chmod(server.directory, 0o700) == 0)
        let result = try python("print('ran')", server: server)
        #expect(result.status == .setupError, "\(result)")
        #expect(result.error == "stat \(server.path): EACCES", "\(result)")
    }

    // MARK: Without egress and bad specs

    @Test(.enabled(if: canJail)) func withoutEgressNothingListensAndThereIsNoRunDirectory() throws {
        let result = try python(
            Self.prelude + """
                try:
                    socket.create_connection(("127.0.0.1", 3128), timeout=5)
                    print("CONNECTED")
                except OSError as e:
                    print(code(e))
                print(os.path.exists("/run/omega"), os.path.exists("/run"))
                print(os.environ.get("HTTP_PROXY"), os.environ.get("https_proxy"))
                """, server: nil)
        #expect(result.status == .ok, "\(result)")
        #expect(result.stdout == "ECONNREFUSED\nFalse False\nNone None\n", "\(result)")
    }

    @Test(arguments: ["run/egress.sock", "/tmp/../etc/egress.sock", "/tmp/./egress.sock", "", "/"])
    func egressPathsThatAreNotCleanAndAbsoluteAreRefused(_ path: String) {
        var spec = JailSpec(program: "/bin/true")
        spec.egressSocket = path
        #expect(
            throws: JailError.invalid(
                "egress", "expected an absolute host path of a Unix socket without '..', got '\(path)'")
        ) { try spec.validate() }
    }

    @Test func egressNeedsTheLoopbackNetworkAndNoBindMayCoverItsSocket() throws {
        var spec = JailSpec(program: "/bin/true")
        spec.egressSocket = "/run/omega-exec/egress/run-1.sock"
        try spec.validate()
        spec.network = .none
        do {
            try spec.validate()
            Issue.record("egress with network none was accepted")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("egress: needs the loopback network"), "\(error)")
        }
        spec.network = .loopback
        for destination in ["/run", "/run/omega", "/run/omega/egress.sock", "/run/omega/other"] {
            spec.binds = [JailSpec.Bind(source: "/tmp", destination: destination, writable: true)]
            #expect(throws: JailError.self, "\(destination)") { try spec.validate() }
        }
        spec.binds = [JailSpec.Bind(source: "/tmp", destination: "/run/other", writable: true)]
        try spec.validate()
        var other = spec
        other.egressSocket = nil
        #expect(other != spec)
    }

    // MARK: What the tool inherits

    /// The init blocks SIGCHLD for its signalfd; the tool must start with the mask and dispositions of a run
    /// without egress.
    @Test(.enabled(if: canJail)) func toolStartsWithAnEmptySignalMaskUnderEgress() throws {
        let server = try EgressServer(group: Self.jail.hostGID)
        defer { server.stop() }
        let script = "grep -E '^Sig(Blk|Ign|Cgt):' /proc/self/status; ls /proc/self/fd | wc -l"
        var spec = JailSpec(program: "/bin/sh", arguments: ["-c", script])
        spec.seccompProgram = Self.seccomp
        spec.limits.wallSeconds = 20
        let plain = try Self.jail.run(spec)
        spec.egressSocket = server.path
        let egress = try Self.jail.run(spec)
        #expect(egress.status == .ok, "\(egress)")
        #expect(egress.stdout.hasPrefix("SigBlk:\t0000000000000000\n"), "\(egress)")
        #expect(egress.stdout == plain.stdout, "\(egress.stdout) vs \(plain.stdout)")
    }

    static func sha256(_ bytes: [UInt8]) throws -> String {
        let directory = Fixture.directory("egress-sha")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/data"
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let result = try HostProcess.run(["/usr/bin/sha256sum", file], timeout: 30)
        return String(result.stdout.prefix(64))
    }
}

/// The stand-in for the egress proxy: a Unix stream socket (mode 0666) in a fresh directory (mode 0710, group
/// the jail's host gid: reachable by the jail, no one else). Each connection is served on its own thread: read
/// to EOF, record, answer `RECEIVED <n>\n` plus the bytes, close.
final class EgressServer: Sendable {
    struct State {
        var connections = 0
        var received: [[UInt8]] = []
        var stopped = false
    }

    let directory: String
    let path: String
    private let fd: Int32
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    /// Creates the socket and starts serving it; with `listening` false the socket is bound but never
    /// listens, so every connection to it is refused.
    init(group: UInt32, listening: Bool = true) throws {
        directory = Fixture.directory("egress", mode: 0o710)
        path = directory + "/egress.sock"
        guard chown(directory, 0, group) == 0 else { throw ServerFailure(step: "chown", errno: errno) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerFailure(step: "socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (index, byte) in bytes.enumerated() { sunPath[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && (!listening || listen(fd, 256) == 0)
            }
        }
        guard bound, chmod(path, 0o666) == 0 else {
            let error = ServerFailure(step: "bind \(path)", errno: errno)
            close(fd)
            throw error
        }
        self.fd = fd
        if listening {
            let thread = Thread { [self] in acceptLoop() }
            thread.start()
        } else {
            done.signal()
        }
    }

    /// Connections accepted so far.
    var connections: Int { state.withLock { $0.connections } }
    /// What each finished connection sent, in the order they finished.
    var received: [[UInt8]] { state.withLock { $0.received } }

    /// Stops accepting, closes the socket and removes its directory.
    func stop() {
        state.withLock { $0.stopped = true }
        done.wait()
        close(fd)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func acceptLoop() {
        defer { done.signal() }
        while !state.withLock({ $0.stopped }) {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 100) > 0 else { continue }
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { continue }
            state.withLock { $0.connections += 1 }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += buffer[0..<n]
        }
        state.withLock { $0.received.append(data) }
        let reply = Array("RECEIVED \(data.count)\n".utf8) + data
        var offset = 0
        while offset < reply.count {
            let n = reply.withUnsafeBytes {
                send(connection, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}

struct ServerFailure: Error, CustomStringConvertible {
    let step: String
    let errno: Int32
    var description: String { "\(step): errno \(errno)" }
}
#endif
