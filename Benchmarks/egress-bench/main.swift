import Egress
// egress-bench: the egress proxy against direct requests, in one run (these machines are noisy:
// compare the ratios). Run by Benchmarks/egress-bench.sh inside a network namespace of its own, where
// `bench.test` resolves (through /etc/hosts, bind-mounted) to a public-looking address on `lo` and an
// upstream HTTP server listens there.
//
//   egress-bench --host bench.test --address 11.0.0.10 --port 8080 [--requests N] [--download-mb M]
//                [--spawns S] [--json]
//
// 1. Latency: N small GETs (interleaved) direct over TCP, through the proxy as absolute-form HTTP, and
//    through a CONNECT tunnel; p50/p99 and the proxy's added time at p50 (target: <= 1 ms).
// 2. Throughput: one M MiB download direct and through a CONNECT tunnel, best of five; the ratio
//    (target: >= 80%).
// 3. The jail's spawn time for /bin/true with and without egress (a session opened and closed per run,
//    as the pipeline does), S runs each, interleaved.
// 4. (with S > 0) The whole path of a tool: a python3 client in the jail downloading M MiB through its
//    init's relay and the proxy, against the same client outside the jail, direct; best of three.
import EgressProxy
import Foundation
import Glibc
import Jail

struct Options {
    var host = "bench.test"
    var address = "11.0.0.10"
    var port = 8080
    var requests = 2000
    var downloadMB = 256
    var spawns = 100
    var json = false
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    while !args.isEmpty {
        let flag = args.removeFirst()
        if flag == "--json" { o.json = true; continue }
        guard !args.isEmpty else { fatalError("\(flag) needs a value") }
        let value = args.removeFirst()
        switch flag {
        case "--host": o.host = value
        case "--address": o.address = value
        case "--port": o.port = Int(value)!
        case "--requests": o.requests = Int(value)!
        case "--download-mb": o.downloadMB = Int(value)!
        case "--spawns": o.spawns = Int(value)!
        default: fatalError("unknown flag \(flag)")
        }
    }
    return o
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// A connected TCP socket to `address:port`.
func tcp(_ address: String, _ port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, address, &sin.sin_addr)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    precondition(rc == 0, "connect \(address):\(port): errno \(errno)")
    return fd
}

/// A connected Unix socket to `path`.
func unix(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var sun = sockaddr_un()
    sun.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &sun.sun_path) { raw in
        let bytes = Array(path.utf8)
        precondition(bytes.count < raw.count, "socket path too long")
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let rc = withUnsafePointer(to: &sun) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    precondition(rc == 0, "connect \(path): errno \(errno)")
    return fd
}

func send(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        precondition(n > 0, "write: errno \(errno)")
        offset += n
    }
}

let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)

/// Reads until the peer closes; returns the bytes read.
@MainActor func drain(_ fd: Int32) -> Int {
    var total = 0
    while true {
        let n = read(fd, buffer, 1 << 20)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        total += n
    }
    return total
}

/// Reads a response head (up to the blank line) and returns it; the tunnel is open after it.
func readHead(_ fd: Int32) -> String {
    var head: [UInt8] = []
    var byte: UInt8 = 0
    while !(head.count >= 4 && head.suffix(4) == [13, 10, 13, 10]) {
        guard read(fd, &byte, 1) == 1 else { break }
        head.append(byte)
    }
    return String(decoding: head, as: UTF8.self)
}

let options = parse()
let target = "\(options.host):\(options.port)"
let folder = NSTemporaryDirectory() + "/egress-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let proxy = EgressProxy()
var limits = EgressLimits()
limits.maxConnections = 1_000_000
limits.maxBytes = 1 << 40
let grant = EgressGrant(rules: [try! EgressRule(parsing: target)], limits: limits)
let session = try await proxy.open(socketPath: folder + "/proxy.sock", grant: grant) { _ in }

@MainActor func direct(_ path: String) -> Int {
    let fd = tcp(options.address, options.port)
    defer { close(fd) }
    send(fd, "GET \(path) HTTP/1.1\r\nHost: \(target)\r\nConnection: close\r\n\r\n")
    return drain(fd)
}

@MainActor func forwarded(_ path: String) -> Int {
    let fd = unix(session.socketPath)
    defer { close(fd) }
    send(fd, "GET http://\(target)\(path) HTTP/1.1\r\nHost: \(target)\r\n\r\n")
    return drain(fd)
}

@MainActor func tunnelled(_ path: String) -> Int {
    let fd = unix(session.socketPath)
    defer { close(fd) }
    send(fd, "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\n")
    let head = readHead(fd)
    if !head.hasPrefix("HTTP/1.1 200") { fatalError("CONNECT refused: \(head)") }
    send(fd, "GET \(path) HTTP/1.1\r\nHost: \(target)\r\nConnection: close\r\n\r\n")
    return drain(fd)
}

// 1. Latency.
let warm = min(100, options.requests / 10)
for _ in 0..<warm { _ = direct("/small"); _ = forwarded("/small"); _ = tunnelled("/small") }
var times: [String: [Double]] = ["direct": [], "forwarded": [], "tunnelled": []]
for _ in 0..<options.requests {
    for (name, call) in [("direct", direct), ("forwarded", forwarded), ("tunnelled", tunnelled)] {
        let start = now()
        let bytes = call("/small")
        times[name]!.append((now() - start) * 1000)
        precondition(bytes > 0, "\(name): empty response")
    }
}
let p50 = times.mapValues { percentile($0, 0.5) }
let p99 = times.mapValues { percentile($0, 0.99) }

// 2. Throughput (best of five each, interleaved).
var rates: [String: Double] = ["direct": 0, "tunnelled": 0]
let bigPath = "/big?mb=\(options.downloadMB)"
for _ in 0..<5 {
    for (name, call) in [("direct", direct), ("tunnelled", tunnelled)] {
        let start = now()
        let bytes = call(bigPath)
        let seconds = now() - start
        precondition(bytes >= options.downloadMB << 20, "\(name): short download \(bytes)")
        rates[name] = max(rates[name]!, Double(bytes) / seconds / 1e6)
    }
}
_ = await session.close()

// 3. Spawn time with and without egress.
var spawn: [String: [Double]] = ["plain": [], "egress": []]
if options.spawns > 0 {
    let jail = Jail()
    var spec = JailSpec(program: "/bin/true")
    spec.seccompProgram = try SeccompPolicy.program(named: "default").bytes
    for index in 0..<(options.spawns + 5) {
        let start = now()
        let result = try jail.run(spec)
        let plain = (now() - start) * 1000
        precondition(result.status == .ok, "plain spawn: \(result.json())")
        let egressStart = now()
        let runSession = try await proxy.open(socketPath: folder + "/run.sock", grant: grant) { _ in }
        var withEgress = spec
        withEgress.egressSocket = runSession.socketPath
        let egressResult = try jail.run(withEgress)
        _ = await runSession.close()
        let egress = (now() - egressStart) * 1000
        precondition(egressResult.status == .ok, "egress spawn: \(egressResult.json())")
        if index >= 5 {
            spawn["plain"]!.append(plain)
            spawn["egress"]!.append(egress)
        }
    }
    jail.shutdown()
}

// 4. The whole path a tool uses: a Python client inside the jail (through its init's relay on
//    127.0.0.1:3128 and the proxy) against the same client outside the jail, direct.
let client = """
    import socket, sys, time
    via_proxy = sys.argv[1] == "proxy"
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", 3128) if via_proxy else ("\(options.address)", \(options.port)))
    if via_proxy:
        s.sendall(b"CONNECT \(target) HTTP/1.1\\r\\nHost: \(target)\\r\\n\\r\\n")
        head = b""
        while b"\\r\\n\\r\\n" not in head:
            head += s.recv(1)
    s.sendall(b"GET \(bigPath) HTTP/1.1\\r\\nHost: \(target)\\r\\nConnection: close\\r\\n\\r\\n")
    total = 0
    buf = bytearray(1 << 20)
    while True:
        n = s.recv_into(buf)
        if not n:
            break
        total += n
    print(total / (time.monotonic() - start) / 1e6)
    """
var pythonRates: [String: Double] = ["direct": 0, "jailed": 0]
if options.spawns > 0 {
    let jail = Jail()
    var spec = JailSpec(program: "python3", arguments: ["-c", client, "proxy"])
    spec.seccompProgram = try SeccompPolicy.program(named: "default").bytes
    spec.limits.memoryBytes = 512 << 20
    for _ in 0..<3 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", client, "direct"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let direct =
            Double(
                String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        pythonRates["direct"] = max(pythonRates["direct"]!, direct)
        let runSession = try await proxy.open(socketPath: folder + "/run.sock", grant: grant) { _ in }
        var jailed = spec
        jailed.egressSocket = runSession.socketPath
        let result = try jail.run(jailed)
        _ = await runSession.close()
        let rate = Double(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        if rate == 0 { fatalError("jailed download failed: \(result.json())") }
        pythonRates["jailed"] = max(pythonRates["jailed"]!, rate)
    }
    jail.shutdown()
}

func ms(_ value: Double) -> String { String(format: "%8.3f", value) }
print("egress proxy vs direct (\(options.requests) requests each, interleaved; \(target) -> \(options.address))")
print("path                         p50_ms    p99_ms   added_p50_ms")
for name in ["direct", "forwarded", "tunnelled"] {
    let label = ["direct": "direct TCP", "forwarded": "proxy, absolute-form GET", "tunnelled": "proxy, CONNECT + GET"][
        name]!
    let added = name == "direct" ? "" : ms(p50[name]! - p50["direct"]!)
    print(
        label.padding(toLength: 26, withPad: " ", startingAt: 0) + ms(p50[name]!) + "  " + ms(p99[name]!) + "   "
            + added)
}
let ratio = rates["tunnelled"]! / rates["direct"]!
print(
    String(
        format: "download %d MiB: direct %.0f MB/s, CONNECT tunnel %.0f MB/s (%.0f%% of direct)", options.downloadMB,
        rates["direct"]!, rates["tunnelled"]!, ratio * 100))
if options.spawns > 0 {
    let plain50 = percentile(spawn["plain"]!, 0.5), egress50 = percentile(spawn["egress"]!, 0.5)
    print(
        String(
            format:
                "jail spawn /bin/true (%d each): plain p50 %.3f ms p99 %.3f; with egress (session open+close) p50 %.3f ms p99 %.3f (%.2fx)",
            options.spawns, plain50, percentile(spawn["plain"]!, 0.99), egress50, percentile(spawn["egress"]!, 0.99),
            egress50 / plain50))
}
if options.spawns > 0 {
    print(
        String(
            format:
                "python3 download %d MiB: direct outside the jail %.0f MB/s, inside the jail through its relay and the proxy %.0f MB/s (%.0f%%)",
            options.downloadMB, pythonRates["direct"]!, pythonRates["jailed"]!,
            pythonRates["jailed"]! / pythonRates["direct"]! * 100))
}
if options.json {
    let added = p50["forwarded"]! - p50["direct"]!, addedConnect = p50["tunnelled"]! - p50["direct"]!
    print(
        String(
            format:
                #"{"directP50Ms":%.3f,"forwardedAddedP50Ms":%.3f,"connectAddedP50Ms":%.3f,"directMBps":%.0f,"tunnelMBps":%.0f,"throughputRatio":%.3f,"spawnPlainP50Ms":%.3f,"spawnEgressP50Ms":%.3f,"pythonDirectMBps":%.0f,"pythonJailedMBps":%.0f}"#,
            p50["direct"]!, added, addedConnect, rates["direct"]!, rates["tunnelled"]!, ratio,
            spawn["plain"].map { $0.isEmpty ? 0 : percentile($0, 0.5) } ?? 0,
            spawn["egress"].map { $0.isEmpty ? 0 : percentile($0, 0.5) } ?? 0, pythonRates["direct"]!,
            pythonRates["jailed"]!))
}
