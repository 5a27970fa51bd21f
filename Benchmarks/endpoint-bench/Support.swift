import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import Synchronization

/// Monotonic seconds (durations).
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall-clock milliseconds since the Unix epoch (to line up with the server's `createdAt`).
func wallMs() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

/// The `p` quantile (0…1) of `values`, nearest rank; 0 for none.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

/// The 95% confidence half-width of the mean of `values`.
func ci95(_ values: [Double]) -> Double {
    guard values.count > 1 else { return 0 }
    let m = mean(values)
    let variance = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)
    return 1.96 * variance.squareRoot() / Double(values.count).squareRoot()
}

func ms(_ value: Double) -> String { String(format: "%.3f", value) }

/// `text` padded (or cut) to `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// A JSON number for the summary line (finite, three decimals).
func number(_ value: Double) -> JSONValue {
    value.isFinite ? .number((value * 1000).rounded() / 1000) : .null
}

/// p50/p90/p99/max and the count of one series of milliseconds, as the summary line holds it.
func summary(_ values: [Double]) -> JSONValue {
    [
        "count": .integer(Int64(values.count)), "p50Ms": number(percentile(values, 0.5)),
        "p90Ms": number(percentile(values, 0.9)), "p99Ms": number(percentile(values, 0.99)),
        "maxMs": number(values.max() ?? 0), "meanMs": number(mean(values)),
    ]
}

func note(_ text: String) { FileHandle.standardError.write((text + "\n").data(using: .utf8)!) }

/// One server-sent event as the `/api` streams write it: `id:`, `event:` and exactly one `data:` line.
struct SSEEvent: Sendable {
    var id: String?
    var type: String?
    var dataLines: [String] = []
}

/// Splits a `text/event-stream` body into events (LF or CRLF line ends; `:` comments skipped).
struct SSEParser {
    private var line: [UInt8] = []
    private var current = SSEEvent()
    private var hasField = false

    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        for byte in bytes {
            guard byte == 0x0A else {
                line.append(byte)
                continue
            }
            if line.last == 0x0D { line.removeLast() }
            if line.isEmpty {
                if hasField { events.append(current) }
                current = SSEEvent()
                hasField = false
            } else if line[0] != 0x3A {  // ':' starts a comment (the keepalive)
                let text = String(decoding: line, as: UTF8.self)
                let name: Substring
                var value: Substring = ""
                if let colon = text.firstIndex(of: ":") {
                    name = text[..<colon]
                    value = text[text.index(after: colon)...]
                    if value.first == " " { value = value.dropFirst() }
                } else {
                    name = Substring(text)
                }
                switch name {
                case "id": current.id = String(value)
                case "event": current.type = String(value)
                case "data": current.dataLines.append(String(value))
                default: break
                }
                hasField = true
            }
            line.removeAll(keepingCapacity: true)
        }
        return events
    }
}

/// The server's `/api` over one shared HTTP/1.1 client (keep-alive connections, pooled).
struct API: Sendable {
    let client: HTTPClient
    let base: String

    init(base: String, connections: Int) {
        self.base = base
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10)))
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func request(
        _ method: String, _ path: String, key: String?, body: JSONValue? = nil, accept: String = "application/json"
    )
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Accept", value: accept)
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body.jsonText.utf8))
        }
        return request
    }

    /// A request whose whole answer is read: its status and body text (`timeout` seconds in all).
    func call(_ method: String, _ path: String, key: String?, body: JSONValue? = nil, timeout: Int64 = 120)
        async throws -> (status: Int, text: String)
    {
        let response = try await client.execute(
            request(method, path, key: key, body: body), deadline: NIODeadline.now() + TimeAmount.seconds(timeout))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), String(buffer: buffer))
    }

    func shutdown() async { try? await client.shutdown() }
}

/// Counts of named things (errors by kind), safe to share between tasks.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let examples = Mutex<[String: String]>([:])

    func add(_ name: String, example: String? = nil) {
        counts.withLock { $0[name, default: 0] += 1 }
        if let example { examples.withLock { if $0[name] == nil { $0[name] = String(example.prefix(300)) } } }
    }

    var all: [String: Int] { counts.withLock { $0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    var firstExamples: [String: String] { examples.withLock { $0 } }

    var json: JSONValue { .object(all.mapValues { .integer(Int64($0)) }) }

    func print(indent: String = "  ") {
        let examples = firstExamples
        for (name, count) in all.sorted(by: { $0.key < $1.key }) {
            Swift.print("\(indent)\(name): \(count)\(examples[name].map { " (first: \($0))" } ?? "")")
        }
    }
}

/// Runs `argv` as a child process with stdout to /dev/null and stderr to `stderrPath`; its exit status
/// (-1 when it could not start; 128+N for signal N). Blocks the calling thread.
func spawnAndWait(_ argv: [String], stderrPath: String) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
    cArgs.append(nil)
    defer { for pointer in cArgs { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    guard spawned == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the macros are not imported).
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// A count shared between threads.
final class Countdown: Sendable {
    let left: Mutex<Int>
    init(_ count: Int) { left = Mutex(count) }
    /// Counts one down; true for the last.
    func done() -> Bool {
        left.withLock { value -> Bool in
            value -= 1
            return value == 0
        }
    }
}

/// Runs `body` on `count` dedicated threads (for blocking work: waiting on child processes) and
/// returns when all have ended.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let countdown = Countdown(count)
        for index in 0..<count {
            let thread = Thread {
                body(index)
                if countdown.done() { continuation.resume() }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
