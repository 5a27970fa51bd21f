// omega-bench: times the jail called in-process, in a loop, with every isolation feature on.
//
//   omega-bench [--runs N] [--seccomp PATH_OR_NAME] [--json] -- PROGRAM [ARGS...]
//
// Prints p50/p99/mean latency per run with one stream, then jobs/s with 1 and 2 parallel streams.
// The comparison with bubblewrap and with the CLI is done by Benchmarks/bench.sh in the same run.
import Glibc
import Jail

struct Options {
    var runs = 300
    var seccomp = "default"
    var json = false
    var command: [String] = []
}

func parseOptions() -> Options {
    var options = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    while let arg = args.first {
        args.removeFirst()
        switch arg {
        case "--runs": options.runs = Int(args.removeFirst()) ?? options.runs
        case "--seccomp": options.seccomp = args.removeFirst()
        case "--json": options.json = true
        case "--": options.command = args; args = []
        default: options.command = [arg] + args; args = []
        }
    }
    if options.command.isEmpty { options.command = ["/bin/true"] }
    return options
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

final class Counter: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var value = 0
    private(set) var failures = 0
    let limit: Int
    init(limit: Int) { self.limit = limit; pthread_mutex_init(&lock, nil) }
    func next() -> Bool {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        guard value < limit else { return false }
        value += 1
        return true
    }
    func fail() { pthread_mutex_lock(&lock); failures += 1; pthread_mutex_unlock(&lock) }
}

let options = parseOptions()
let jail = Jail()
var spec = JailSpec(program: options.command[0], arguments: Array(options.command.dropFirst()))
do {
    spec.seccompProgram = options.seccomp == "none" ? nil : try SeccompPolicy.program(named: options.seccomp).bytes
} catch {
    print("omega-bench: \(error)")
    exit(2)
}

// Warm up (cgroup pool, page cache, seccomp compile).
for _ in 0..<20 { _ = try? jail.run(spec) }

var latencies: [Double] = []
for _ in 0..<options.runs {
    let t0 = now()
    let result = try jail.run(spec)
    latencies.append((now() - t0) * 1000)
    if result.status != .ok {
        print("omega-bench: run failed: \(result.json())")
        exit(1)
    }
}
latencies.sort()

func throughput(streams: Int, jobs: Int, jail: Jail, spec: JailSpec) -> Double {
    let counter = Counter(limit: jobs)
    let t0 = now()
    var threads: [pthread_t] = []
    final class Box: @unchecked Sendable {
        let counter: Counter; let jail: Jail; let spec: JailSpec
        init(_ c: Counter, _ j: Jail, _ s: JailSpec) { counter = c; jail = j; spec = s }
    }
    for _ in 0..<streams {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(counter, jail, spec)).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                while box.counter.next() {
                    do {
                        let result = try box.jail.run(box.spec)
                        if result.status != .ok {
                            if box.counter.failures == 0 { print("omega-bench: run failed: \(result.json())") }
                            box.counter.fail()
                        }
                    } catch {
                        if box.counter.failures == 0 { print("omega-bench: run failed: \(error)") }
                        box.counter.fail()
                    }
                }
                return nil
            }, box)
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
    if counter.failures > 0 { print("omega-bench: \(counter.failures) runs failed"); exit(1) }
    return Double(jobs) / (now() - t0)
}

let one = throughput(streams: 1, jobs: options.runs, jail: jail, spec: spec)
let two = throughput(streams: 2, jobs: options.runs, jail: jail, spec: spec)
let mean = latencies.reduce(0, +) / Double(latencies.count)
let line =
    "in-process \(options.command.joined(separator: " ")): p50 \(format3(percentile(latencies, 0.5))) ms, p99 \(format3(percentile(latencies, 0.99))) ms, mean \(format3(mean)) ms; jobs/s 1 stream \(Int(one)), 2 streams \(Int(two)) (cgroup \(jail.cgroupVersion))"
if options.json {
    print(
        "{\"p50\":\(percentile(latencies, 0.5)),\"p99\":\(percentile(latencies, 0.99)),\"mean\":\(mean),\"jobs1\":\(one),\"jobs2\":\(two),\"cgroup\":\"\(jail.cgroupVersion)\"}"
    )
} else {
    print(line)
}

func format3(_ value: Double) -> String {
    let scaled = Int((value * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
