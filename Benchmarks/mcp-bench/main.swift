// mcp-bench: what the MCP layer adds to a tool call, in one process (the run itself is the reference).
//
//   mcp-bench [--calls N] [--warmup W] [--manifests DIR]
//
// Over a fresh temporary OMEGA_HOME whose registry holds a copy of Manifests/text_stats (and a trivial
// tool), the starter tool text.stats is called N times (default 200, after W = 20 warm-up calls) each
// way, interleaved (the order alternating) so both see the same machine noise:
//   (a) service:  OmegaService.run(ExecutionRequest(tool: <the folder the registry resolves text.stats
//                 to>, input: {"text": …}, user: "local")): the pipeline and the jail, nothing of MCP
//   (b) MCP:      MCPHost.receive of the whole `tools/call` frame (registry_execute, 2026-07-28 `_meta`)
//                 from a stdio peer, and the reply serialized to the bytes a transport writes: JSON-RPC
//                 parse, envelope, catalog, registry lookup, the same run, the CallToolResult rendering
// It prints p50/p90/p99 of each, the MCP layer's added time at p50 and p99 (b − a; the issue's target:
// ≤ 1 ms at p50), the ratio, the p50 and the mean (with its 95% confidence interval: is 1 ms resolvable
// under the run's noise at all?) of the paired differences b_i − a_i. Then the same for bench.echo, a
// /bin/sh tool printing {"ok":true} (its short, steady run lets the layer's cost show), the layer's parts
// timed alone (no run), and last one JSON summary line (text.stats at the top level, bench.echo under
// "trivial").
import AgentHost
import Foundation
import JSON
import Logging
import Service
import ToolRuntime

var calls = 200
var warmup = 20
var manifests: String?
var args = Array(CommandLine.arguments.dropFirst())
func usage() -> Never {
    FileHandle.standardError.write("usage: mcp-bench [--calls N] [--warmup W] [--manifests DIR]\n".data(using: .utf8)!)
    exit(64)
}
while let arg = args.first {
    args.removeFirst()
    guard let value = args.first else { usage() }
    args.removeFirst()
    switch arg {
    case "--calls":
        guard let n = Int(value) else { usage() }
        calls = n
    case "--warmup":
        guard let n = Int(value) else { usage() }
        warmup = n
    case "--manifests": manifests = value
    default: usage()
    }
}
guard calls > 0, warmup >= 0 else { usage() }

// Logs to stderr, warnings and up only: stdout carries the figures.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
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

/// The temporary home and starter tools; removed at the end, and by ``fail(_:)``.
let base = NSTemporaryDirectory() + "omega-mcp-bench-\(getpid())"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write("mcp-bench: \(message)\n".data(using: .utf8)!)
    try? FileManager.default.removeItem(atPath: base)
    exit(1)
}

/// The folder holding Manifests/text_stats: `--manifests`, else `Manifests` in the working directory or in
/// a directory above the executable (a checkout).
@MainActor func manifestsFolder() -> String {
    var candidates = [FileManager.default.currentDirectoryPath + "/Manifests"]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while dir.path != "/" {
        candidates.append(dir.path + "/Manifests")
        dir = dir.deletingLastPathComponent()
    }
    if let manifests { candidates = [manifests] }
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/text_stats/omega.json") })
    else { fail("no text_stats/omega.json in \(manifests ?? "Manifests") (pass --manifests DIR)") }
    return found
}

let starters = base + "/starters"
let textStatsSource = manifestsFolder() + "/text_stats"
defer { try? FileManager.default.removeItem(atPath: base) }
// The registry's starter tools: a copy of text_stats and a trivial tool (/bin/sh prints {"ok":true}), whose
// short, steady run lets the layer's cost show through the run's noise.
do {
    try FileManager.default.createDirectory(atPath: starters, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base)
    try FileManager.default.copyItem(atPath: textStatsSource, toPath: starters + "/text_stats")
    try FileManager.default.createDirectory(atPath: starters + "/bench_echo", withIntermediateDirectories: true)
    try """
    {
      "schemaVersion": 1, "id": "bench.echo", "version": "1.0.0", "title": "Echo", "description": "Prints ok.",
      "keywords": ["bench"],
      "input": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                "properties": {"text": {"type": "string"}}, "additionalProperties": false},
      "output": {"type": "object", "properties": {"ok": {"const": true}}, "required": ["ok"]},
      "env": [], "scopes": [], "risk": {"level": "low", "externalWrite": false, "readOnly": true},
      "execution": {"binding": "sandbox_job", "command": ["/bin/sh", "/tool/run.sh"]},
      "limits": {"timeoutSeconds": 30, "memoryMB": 64, "pids": 16, "outputBytes": 65536},
      "examples": [{"name": "basic", "input": {"text": "x"}, "output": {"ok": true}}]
    }
    """.write(toFile: starters + "/bench_echo/omega.json", atomically: true, encoding: .utf8)
    try "cat >/dev/null\necho '{\"ok\":true}'\n".write(
        toFile: starters + "/bench_echo/run.sh", atomically: true, encoding: .utf8)
} catch {
    fail("cannot prepare the starter tools in \(starters): \(error)")
}
setenv("OMEGA_HOME", base + "/home", 1)
setenv("OMEGA_STARTER_TOOLS", starters, 1)

let host: MCPHost
do {
    host = try MCPHost.open(
        configuration: RuntimeConfiguration(home: OmegaHome(root: base + "/home")), host: MCPHostConfiguration(),
        logger: Logger(label: "omega.mcp-bench"))
} catch {
    fail("cannot open the host: \(error.message)")
}
let service = host.service
let peer = MCPPeer(caller: .stdio(), transport: .stdio, outbound: nil)

let text = """
    The quick brown fox jumps over the lazy dog. Dr. Smith, e.g. the vet, said the fox was fine!

    Was it? Yes: the fox and the dog are friends now, and the fox visits the dog every day.
    """
let input: JSONValue = ["text": .string(text)]
let meta: JSONValue = [MCPProtocol.protocolVersionKey: "2026-07-28", MCPProtocol.clientCapabilitiesKey: [:]]

var nextID: Int64 = 0
@MainActor func frame(_ toolID: String) -> [UInt8] {
    nextID += 1
    let params: JSONValue = [
        "_meta": meta, "name": "registry_execute", "arguments": ["toolId": .string(toolID), "input": input],
    ]
    return Array(JSONRPCMessage.requestFrame(id: .integer(nextID), "tools/call", params).jsonText.utf8)
}

/// One tool's figures: (a) and (b) latencies in ms, in call order.
struct Comparison {
    var toolID: String
    var folder: String
    var warmup: Int
    var a: [Double] = []
    var b: [Double] = []

    var a50: Double { percentile(a, 0.5) }
    var b50: Double { percentile(b, 0.5) }
    var a99: Double { percentile(a, 0.99) }
    var b99: Double { percentile(b, 0.99) }
    var paired: [Double] { zip(a, b).map { $1 - $0 } }
    var paired50: Double { percentile(paired, 0.5) }
    var pairedMean: Double { paired.reduce(0, +) / Double(paired.count) }
    /// The 95% confidence half-width of the paired mean: whether 1 ms is resolvable under the run's noise.
    var pairedCI95: Double {
        let mean = pairedMean
        guard paired.count > 1 else { return 0 }
        let variance = paired.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(paired.count - 1)
        return 1.96 * variance.squareRoot() / Double(paired.count).squareRoot()
    }

    func print() {
        func column(_ text: String) -> String { text.padding(toLength: 44, withPad: " ", startingAt: 0) }
        Swift.print("tool: \(toolID) (\(folder)); calls per case: \(a.count) after \(warmup) warm-up (interleaved)")
        Swift.print(column("case") + "    p50 ms    p90 ms    p99 ms")
        for (name, values) in [("(a) service.run (reference)", a), ("(b) MCPHost.receive tools/call frame", b)] {
            Swift.print(
                column(name)
                    + String(
                        format: " %9.3f %9.3f %9.3f", percentile(values, 0.5), percentile(values, 0.9),
                        percentile(values, 0.99)))
        }
        Swift.print(
            String(
                format: "MCP layer adds %.3f ms at p50 (target <= 1 ms), %.3f ms at p99; ratio %.3fx at p50",
                b50 - a50, b99 - a99, b50 / a50))
        Swift.print(
            String(
                format: "  paired (b_i - a_i): p50 %.3f ms, mean %.3f ms +- %.3f ms (95%% CI)", paired50, pairedMean,
                pairedCI95))
    }

    var json: String {
        """
        {"tool":"\(toolID)","calls":\(a.count),"serviceP50Ms":\(a50),"serviceP99Ms":\(a99),"mcpP50Ms":\(b50),\
        "mcpP99Ms":\(b99),"addedP50Ms":\(b50 - a50),"addedP99Ms":\(b99 - a99),"pairedAddedP50Ms":\(paired50),\
        "pairedAddedMeanMs":\(pairedMean),"pairedAddedMeanCI95Ms":\(pairedCI95),"ratioP50":\(b50 / a50)}
        """
    }
}

/// N calls of `toolID` each way, interleaved (the order alternating), after the warm-up.
@MainActor func compare(_ toolID: String) async -> Comparison {
    // (a)'s tool: exactly what registry_execute runs for the id (the starter folder).
    let folder: String
    do {
        folder = try host.registry.executionReference(toolID)
    } catch {
        fail("\(toolID) is not in the registry: \(error.message)")
    }
    guard folder.hasPrefix("/") else { fail("\(toolID) resolved to '\(folder)', not a starter folder") }
    let request = ExecutionRequest(tool: folder, input: input, user: peer.caller.user)

    func direct() async -> Double {
        let start = now()
        let outcome = await service.run(request)
        let elapsed = (now() - start) * 1000
        guard outcome.succeeded else { fail("(a) service.run of \(toolID) failed: \(outcome.json.jsonText)") }
        return elapsed
    }
    func throughMCP() async -> Double {
        let bytes = frame(toolID)  // built outside the timing: a transport receives bytes
        let start = now()
        let reply = await host.receive(bytes, from: peer)
        let written = Array((reply.message?.jsonText ?? "").utf8)
        let elapsed = (now() - start) * 1000
        guard reply.httpStatus == 200, let message = reply.message, message["error"] == nil,
            message["result"]?["isError"] == .bool(false), !written.isEmpty
        else {
            fail(
                "(b) tools/call of \(toolID) failed: \(reply.httpStatus) \(reply.message?.jsonText ?? "(no message)")")
        }
        return elapsed
    }

    // Warm up both paths (seccomp cache, schema cache, SQLite pages, the registry's sync, netns pool).
    for _ in 0..<warmup {
        _ = await direct()
        _ = await throughMCP()
    }
    var result = Comparison(toolID: toolID, folder: folder, warmup: warmup)
    for i in 0..<calls {
        if i % 2 == 0 {
            result.a.append(await direct())
            result.b.append(await throughMCP())
        } else {
            result.b.append(await throughMCP())
            result.a.append(await direct())
        }
    }
    return result
}

let stats = await compare("text.stats")
stats.print()
print()
print("the same with a trivial tool (/bin/sh prints {\"ok\":true}: a short, steady run):")
let echo = await compare("bench.echo")
echo.print()
print()

// Where the layer's time goes: its parts timed alone, no tool run (p50 over 200 each).
print("the MCP layer's parts alone (no run):")
var parts: [(String, Double)] = []
@MainActor func part(_ name: String, _ body: () async -> Void) async {
    var samples: [Double] = []
    for _ in 0..<200 {
        let start = now()
        await body()
        samples.append((now() - start) * 1000)
    }
    let p50 = percentile(samples, 0.5)
    parts.append((name, p50))
    print("  part: \(name.padding(toLength: 52, withPad: " ", startingAt: 0)) p50 \(String(format: "%.3f", p50)) ms")
}
let sample = frame("text.stats")
await part("JSON-RPC decode of the tools/call frame") {
    _ = JSONRPCMessage.decode(sample)
}
await part("registry lookup (executionReference text.stats)") {
    _ = try? host.registry.executionReference("text.stats")
}
let ping = Array(
    JSONRPCMessage.requestFrame(id: .integer(1), "ping", ["_meta": meta]).jsonText.utf8)
await part("ping: decode + envelope + dispatch + render") {
    _ = (await host.receive(ping, from: peer)).message?.jsonText
}
let list = Array(
    JSONRPCMessage.requestFrame(id: .integer(1), "tools/list", ["_meta": meta]).jsonText.utf8)
await part("tools/list: + catalog (pins, built-ins) + render") {
    _ = (await host.receive(list, from: peer)).message?.jsonText
}
let reply = await host.receive(frame("text.stats"), from: peer)
await part("reply serialization (jsonText of a tools/call reply)") {
    _ = reply.message?.jsonText
}
let outcome = await service.run(ExecutionRequest(tool: stats.folder, input: input, user: peer.caller.user))
await part("outcome.json (the result object)") {
    _ = outcome.json
}

await host.shutdown()

let partsJSON = parts.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
// text.stats's figures at the top level, the trivial tool's under "trivial".
print(
    """
    {"bench":"mcp-in-process","warmup":\(warmup),\(stats.json.dropFirst().dropLast()),\
    "trivial":\(echo.json),"partsP50Ms":{\(partsJSON)}}
    """)
