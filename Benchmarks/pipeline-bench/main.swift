// pipeline-bench: what the executor's pipeline adds to a bare jail run, in-process, SQLite writes included.
//
//   pipeline-bench [--runs N] [--json]
//
// A tiny tool package (/bin/sh prints {"ok":true}) is run N times each way, interleaved so both
// see the same machine noise:
//   (a) bare jail:  Jail.run with the same spec the executor builds (tool at /tool, input on stdin,
//                   default seccomp profile), no store, no policy
//   (b) pipeline:   ToolRunner.start → resolve (package digest) → input schema → policy → credentials
//                   → outbox (tmpfs) → jail → output schema → artifacts → ~12 events in SQLite (WAL)
// It prints p50/p90/p99 of each, the p50 difference (the pipeline's cost; target ≤ 2 ms) and the ratio.
import Foundation
import Jail
import Policy
import Schema
import ToolPackage
import ToolRuntime

var runs = 300
var json = false
var args = Array(CommandLine.arguments.dropFirst())
while let arg = args.first {
    args.removeFirst()
    switch arg {
    case "--runs": runs = Int(args.removeFirst()) ?? runs
    case "--json": json = true
    default:
        FileHandle.standardError.write("usage: pipeline-bench [--runs N] [--json]\n".data(using: .utf8)!)
        exit(64)
    }
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

let base = NSTemporaryDirectory() + "omega-pipeline-bench-\(getpid())"
let package = base + "/tool"
try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base)
try """
{
  "schemaVersion": 1, "id": "bench.echo", "version": "1.0.0", "title": "Echo", "description": "Prints ok.",
  "keywords": ["bench"],
  "input": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"n": {"type": "integer"}}, "additionalProperties": false},
  "output": {"type": "object", "properties": {"ok": {"const": true}}, "required": ["ok"]},
  "env": [], "scopes": [], "risk": {"level": "low", "externalWrite": false, "readOnly": true},
  "execution": {"binding": "sandbox_job", "command": ["/bin/sh", "/tool/run.sh"]},
  "limits": {"timeoutSeconds": 30, "memoryMB": 64, "pids": 16, "outputBytes": 65536},
  "examples": [{"name": "basic", "input": {"n": 1}, "output": {"ok": true}}]
}
""".write(toFile: package + "/omega.json", atomically: true, encoding: .utf8)
try "cat >/dev/null\necho '{\"ok\":true}'\n".write(toFile: package + "/run.sh", atomically: true, encoding: .utf8)
defer { try? FileManager.default.removeItem(atPath: base) }

let home = OmegaHome(root: base + "/home")
let executor = try ToolRunner(configuration: RuntimeConfiguration(home: home))
let jail = executor.jail

let spec: JailSpec = try {
    var spec = JailSpec(program: "/bin/sh", arguments: ["/tool/run.sh"])
    spec.toolDirectory = package
    spec.stdinData = Array(#"{"n":1}"#.utf8)
    spec.limits.wallSeconds = 30
    spec.limits.memoryBytes = 64 << 20
    spec.limits.pids = 16
    spec.limits.outputBytes = 65536
    spec.seccompProgram = try SeccompPolicy.program(named: "default").bytes
    return spec
}()

func bare() throws -> Double {
    let start = now()
    let result = try jail.run(spec)
    guard result.status == .ok else { fatalError("bare run failed: \(result.json())") }
    return (now() - start) * 1000
}

func pipeline() async -> Double {
    let start = now()
    let outcome = await executor.start(ExecutionRequest(tool: package, input: ["n": 1]))
    guard outcome.succeeded else { fatalError("pipeline run failed: \(outcome.json.jsonText)") }
    return (now() - start) * 1000
}

// Warm up both paths (seccomp cache, schema cache, SQLite pages, netns pool).
for _ in 0..<20 {
    _ = try bare()
    _ = await pipeline()
}
var a: [Double] = []
var b: [Double] = []
for _ in 0..<runs {
    a.append(try bare())
    b.append(await pipeline())
}
let a50 = percentile(a, 0.5), b50 = percentile(b, 0.5)
if json {
    print(
        """
        {"runs":\(runs),"bareP50Ms":\(a50),"pipelineP50Ms":\(b50),"addedP50Ms":\(b50 - a50),\
        "bareP99Ms":\(percentile(a, 0.99)),"pipelineP99Ms":\(percentile(b, 0.99))}
        """)
} else {
    print("runs per case: \(runs) (interleaved)")
    print(
        String(
            format: "%-34@ %8@ %8@ %8@", "case" as NSString, "p50 ms" as NSString, "p90 ms" as NSString,
            "p99 ms" as NSString))
    for (name, values) in [("(a) bare jail (reference)", a), ("(b) executor pipeline", b)] {
        print(
            String(
                format: "%-34@ %8.3f %8.3f %8.3f", name as NSString, percentile(values, 0.5), percentile(values, 0.9),
                percentile(values, 0.99)))
    }
    print(String(format: "pipeline adds %.3f ms at p50 (target <= 2 ms); ratio %.2fx", b50 - a50, b50 / a50))
}

// Where the difference goes: the pipeline's parts timed alone (p50 over 200 calls each).
if !json {
    func time(_ name: String, _ body: () throws -> Void) rethrows {
        var samples: [Double] = []
        for _ in 0..<200 {
            let start = now()
            try body()
            samples.append((now() - start) * 1000)
        }
        print(
            "  part: \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) p50 \(String(format: "%.3f", percentile(samples, 0.5))) ms"
        )
    }
    let resolver = ToolResolver(home: home)
    try time("resolve (manifest decode + package digest)") { _ = try resolver.resolve(package) }
    var k = 0
    try time("package folder copy + remove") {
        k += 1
        let target = home.scratchDirectory + "/bench-copy-\(k)"
        try PackageFolderCopy.copy(folder: package, to: target, durable: false)
        PackageFolderCopy.remove(target)
    }
    try time("package verify (digest)") {
        _ = try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(folder: package)
    }
    try time("policy files load") {
        _ = try PolicyLoader().load(workspace: nil, project: nil, user: home.userPolicyPath)
    }
    var n = 0
    try time("outbox tmpfs create + remove") {
        n += 1
        let outbox = try JailOutbox.create(
            at: home.scratchDirectory + "/bench-\(n)", capacityBytes: 64 << 20, maxFiles: 1000, ownerUID: jail.hostUID,
            ownerGID: jail.hostGID)
        outbox.remove()
    }
    try time("bare jail run") { _ = try jail.run(spec) }
    let fixed = try JailOutbox.create(
        at: home.scratchDirectory + "/bench-fixed", capacityBytes: 64 << 20, maxFiles: 1000, ownerUID: jail.hostUID,
        ownerGID: jail.hostGID)
    var bound = spec
    bound.binds = [JailSpec.Bind(source: fixed.path, destination: "/work/out", writable: true)]
    try time("bare jail run + /work/out bind") { _ = try jail.run(bound) }
    try time("bare jail run on a fresh thread") {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? jail.run(spec); done.signal()
        }
        thread.start()
        done.wait()
    }
    fixed.remove()
    try time("seccomp program lookup") { _ = try SeccompPolicy.program(named: "default") }
    try time("tool-relative argument check") { _ = ToolJailSpec.arguments(["/bin/sh", "/tool/run.sh"], package: package) }
    let store = executor.store
    _ = try store.createRun(id: "bench-events", toolID: "bench.echo", toolVersion: "1.0.0", input: [:], atMs: 0)
    try time("12 event appends (SQLite WAL)") {
        for _ in 0..<12 { try store.append(runID: "bench-events", type: .stepStarted, data: ["step": "x"], atMs: 0) }
    }
    let schema = try SchemaCache.shared.schema(for: ["type": "object"])
    time("input+output schema validation") { _ = schema.validate(["n": 1]) }
}

// Time from the call to each event, p50 over 100 runs (where inside the pipeline the time goes).
if !json {
    final class Marks: @unchecked Sendable {
        let lock = NSLock()
        var marks: [(String, Double)] = []
        func add(_ name: String) { lock.lock(); marks.append((name, now())); lock.unlock() }
    }
    var gaps: [String: [Double]] = [:]
    var order: [String] = []
    for _ in 0..<100 {
        let marks = Marks()
        let start = now()
        let outcome = await executor.start(ExecutionRequest(tool: package, input: ["n": 1])) { event in
            marks.add(event.type.rawValue + (event.data["step"]?.stringValue.map { ":" + $0 } ?? ""))
        }
        marks.add("returned")
        precondition(outcome.succeeded)
        var previous = start
        for (name, t) in marks.marks {
            if gaps[name] == nil { order.append(name) }
            gaps[name, default: []].append((t - previous) * 1000)
            previous = t
        }
    }
    for name in order {
        print(
            "  gap before \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) p50 \(String(format: "%.3f", percentile(gaps[name]!, 0.5))) ms"
        )
    }
}
