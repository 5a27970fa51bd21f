// endpoint-bench: the conversations API and the run route of `omega-exec serve` under load, against the
// pipeline in-process and `omega-exec try`, in one run (these machines are noisy: compare within a run).
//
//   endpoint-bench --url http://127.0.0.1:PORT --keys-file FILE [--seconds 60] [--conversations 100]
//                  [--messages-per-conversation 0] [--verify-sample 20] [--message TEXT]
//                  [--calls 100] [--warmup 10] [--concurrency 8] [--throughput-seconds 20] [--try-calls N]
//                  [--message-calls 20] [--omega PATH] [--manifests DIR] [--user NAME] [--server-pid PID]
//                  [--ramp-seconds S] [--in-process-home DIR] [--skip-load] [--skip-runs]
//
// The server must run the default offline model with the starter tools (Manifests) and a rate limit
// that does not bite; FILE holds API keys' secrets, one a line (a key holds at most 64 streams: give
// one per 50 conversations or more). Three parts:
// 1. Load: --conversations clients for --seconds, each looping: (a new conversation every
//    --messages-per-conversation messages; 0: one for the whole run) POST …/messages with --message
//    (default "Count the words in: the quick brown fox", which the offline model answers by running
//    text.stats), reading its SSE stream to `message.completed`. Each stream is checked (HTTP 200, ids
//    consecutive, one data line each, first message.created, last message.completed, nothing after);
//    anything else is an error, counted by kind. All clients start at once (the start burst; its first
//    messages are also shown apart from the later ones) unless --ramp-seconds spreads their starts. Then for a sample of the conversations GET …/events
//    from 0: every stored event must have been received (else: lost). Prints messages completed,
//    errors, lost events, time to first event (POST sent → first complete event) and to
//    message.completed at p50/p99, events per second; where the first event's time goes (wall clock:
//    the user message's createdAt marks the start of the server's `send`) and when each event type
//    arrives; CPU used by the server and by the machine.
// 2. Runs: --calls sequential calls each way, interleaved after --warmup: (a) OmegaService.run in this
//    process on its own home (the pipeline alone; --in-process-home: on DIR, e.g. the server's, so that
//    both paths' runs are in one run store with their timestamps), (b) POST /api/tools/text.stats/runs (keep-alive),
//    GET /healthz (the HTTP round trip) and GET /api/runs/NOT-A-RUN (round trip + the /api gate: key
//    check, rate limiter); then --try-calls runs of `omega-exec try Manifests/text_stats --input …`, a
//    process each. What HTTP adds, (b) − (a), at p50 (target <= 2 ms) and p99; then --concurrency
//    clients for --throughput-seconds through the API and the same number of parallel `try` processes:
//    runs/s.
// 3. The server's pieces timed alone in this process (key check, registry lookup, audit append,
//    conversation lookup, event append and read), and --message-calls messages answered in-process
//    (ConversationService.send + events) interleaved with the same over HTTP, one at a time.
// Human-readable figures on stdout, progress on stderr, the last stdout line a JSON summary. Exits 1 when
// the load had errors or lost events, or anything else failed; 64 on bad usage.
import AsyncHTTPClient
import Conversations
import Foundation
import JSON
import Logging
import Service
import ToolRuntime

var url: String?
var keysFile: String?
var seconds = 60.0
var conversationClients = 100
var perConversation = 0
var verifySample = 20
var messageText = "Count the words in: the quick brown fox"
var calls = 100
var warmup = 10
var concurrency = 8
var throughputSeconds = 20.0
var tryCalls: Int?
var messageCalls = 20
var omegaPath: String?
var manifests: String?
var user = "bench"
var serverPID: Int32?
var skipLoad = false
var skipRuns = false
var ramp = 0.0
var inProcessHome: String?

func usage(_ problem: String) -> Never {
    note("endpoint-bench: \(problem)")
    note(
        "usage: endpoint-bench --url URL --keys-file FILE [--seconds S] [--conversations N] "
            + "[--messages-per-conversation N] [--verify-sample N] [--message TEXT] [--calls N] [--warmup N] "
            + "[--concurrency N] [--throughput-seconds S] [--try-calls N] [--message-calls N] [--omega PATH] "
            + "[--manifests DIR] [--user NAME] [--server-pid PID] [--ramp-seconds S] [--in-process-home DIR] "
            + "[--skip-load] [--skip-runs]")
    exit(64)
}

var args = Array(CommandLine.arguments.dropFirst())
while let arg = args.first {
    args.removeFirst()
    if arg == "--skip-load" {
        skipLoad = true
        continue
    }
    if arg == "--skip-runs" {
        skipRuns = true
        continue
    }
    guard let value = args.first else { usage("\(arg) needs a value") }
    args.removeFirst()
    func intValue(_ minimum: Int) -> Int {
        guard let n = Int(value), n >= minimum else { usage("\(arg): expected an integer >= \(minimum), not \(value)") }
        return n
    }
    func secondsValue() -> Double {
        guard let n = Double(value), n > 0 else { usage("\(arg): expected a positive number, not \(value)") }
        return n
    }
    switch arg {
    case "--url": url = value.hasSuffix("/") ? String(value.dropLast()) : value
    case "--keys-file": keysFile = value
    case "--seconds": seconds = secondsValue()
    case "--conversations": conversationClients = intValue(1)
    case "--messages-per-conversation": perConversation = intValue(0)
    case "--verify-sample": verifySample = intValue(0)
    case "--message": messageText = value
    case "--calls": calls = intValue(1)
    case "--warmup": warmup = intValue(0)
    case "--concurrency": concurrency = intValue(1)
    case "--throughput-seconds": throughputSeconds = secondsValue()
    case "--ramp-seconds": ramp = secondsValue()
    case "--in-process-home": inProcessHome = value
    case "--try-calls": tryCalls = intValue(0)
    case "--message-calls": messageCalls = intValue(0)
    case "--omega": omegaPath = value
    case "--manifests": manifests = value
    case "--user": user = value
    case "--server-pid": serverPID = Int32(intValue(1))
    default: usage("unknown option \(arg)")
    }
}
guard let url else { usage("--url is required") }
guard let keysFile, let keysText = try? String(contentsOfFile: keysFile, encoding: .utf8) else {
    usage("--keys-file is required and must be readable")
}
let keys = keysText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
    !$0.isEmpty
}
guard !keys.isEmpty else { usage("\(keysFile) holds no key") }

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}

/// The folder holding text_stats/omega.json: --manifests, else Manifests in the working directory or
/// in a directory above the executable (a checkout).
@MainActor func manifestsFolder() -> String {
    var candidates = [FileManager.default.currentDirectoryPath + "/Manifests"]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while dir.path != "/" {
        candidates.append(dir.path + "/Manifests")
        dir = dir.deletingLastPathComponent()
    }
    if let manifests { candidates = [manifests] }
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/text_stats/omega.json") })
    else { usage("no text_stats/omega.json in \(manifests ?? "Manifests") (pass --manifests DIR)") }
    return found
}
let manifestsRoot = manifestsFolder()
let textStats = manifestsRoot + "/text_stats"
let omega =
    omegaPath
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    + "/omega-exec"
if !skipRuns, !FileManager.default.isExecutableFile(atPath: omega) { usage("no omega-exec at \(omega) (pass --omega)") }
if ProcessInfo.processInfo.environment["OMEGA_STARTER_TOOLS"] == nil { setenv("OMEGA_STARTER_TOOLS", manifestsRoot, 1) }

let errors = Tally()
var failed: [String] = []
var report: [String: JSONValue] = ["bench": "endpoint"]

// MARK: CPU accounting (the server's and the machine's, from /proc)

/// utime+stime and cutime+cstime of `pid`, in seconds.
func processCPU(_ pid: Int32) -> (own: Double, children: Double)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
    // After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
    guard fields.count > 14, let utime = Double(fields[11]), let stime = Double(fields[12]),
        let cutime = Double(fields[13]), let cstime = Double(fields[14])
    else { return nil }
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ((utime + stime) / tick, (cutime + cstime) / tick)
}

/// Busy and total jiffies of the machine (/proc/stat).
func machineCPU() -> (busy: Double, total: Double)? {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return nil }
    let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard values.count >= 5 else { return nil }
    let idle = values[3] + values[4]
    let total = values.reduce(0, +)
    return (total - idle, total)
}

func selfCPU() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3)
        .joined(separator: " ")
}

let environment = ProcessInfo.processInfo.environment
print(
    "== machine: \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load \(loadAverage()); server \(url)"
        + " (pid \(serverPID.map(String.init) ?? "?")), \(keys.count) keys; runs at once: "
        + "\(environment["OMEGA_MAX_RUNS"] ?? "8") in all, \(environment["OMEGA_MAX_RUNS_PER_TOOL"] ?? "4") per tool"
        + " (OMEGA_MAX_RUNS, OMEGA_MAX_RUNS_PER_TOOL)")
print()

// Connections: one per conversation client, the throughput clients, and a few spare.
let api = API(base: url, connections: conversationClients + concurrency + 8)

// The server answers at all, with these keys.
for key in keys {
    guard let (status, text) = try? await api.call("GET", "/api/runs/NOT-A-RUN", key: key), status == 404 else {
        note(
            "endpoint-bench: the server at \(url) does not accept a key of \(keysFile) (expected 404 from /api/runs/NOT-A-RUN)"
        )
        if let (status, text) = try? await api.call("GET", "/api/runs/NOT-A-RUN", key: key) {
            note("  got HTTP \(status): \(text.prefix(300))")
        }
        exit(1)
    }
    _ = text
}

// MARK: 1. The load

/// `name` and the p50/p90/p99/max of `values` (ms) in aligned columns.
func line(_ name: String, _ values: [Double], target: String = "") -> String {
    pad(name, 50)
        + String(
            format: " p50 %9.3f  p90 %9.3f  p99 %9.3f  max %9.3f ms", percentile(values, 0.5), percentile(values, 0.9),
            percentile(values, 0.99), values.max() ?? 0) + target
}

if !skipLoad {
    if keys.count * 64 < conversationClients {
        note("endpoint-bench: \(keys.count) keys hold at most \(keys.count * 64) streams; give more keys")
        exit(64)
    }
    print(
        "== 1. \(conversationClients) concurrent SSE conversations for \(Int(seconds)) s"
            + " (\(perConversation == 0 ? "one conversation per client" : "a new conversation every \(perConversation) messages")"
            + "\(ramp > 0 ? ", starts spread over \(ramp) s" : "")); "
            + "message: \"\(messageText)\"")
    // Warm-up: one message through a conversation of its own (registry sync, first-use costs).
    note("warm-up: 3 messages")
    if case .success(let id) = await createConversation(api, key: keys[0]) {
        for _ in 0..<3 {
            let warm = await postMessage(api, key: keys[0], conversation: id, content: messageText, timeout: 300)
            if let error = warm.error { note("  warm-up message failed: \(error) \(warm.errorDetail ?? "")") }
        }
    }
    note("load: \(conversationClients) clients for \(Int(seconds)) s")
    let serverBefore = serverPID.flatMap(processCPU)
    let machineBefore = machineCPU()
    let selfBefore = selfCPU()
    let loadErrors = Tally()
    let load = await runLoad(
        api, keys: keys, clients: conversationClients, seconds: seconds, perConversation: perConversation,
        content: messageText, ramp: ramp, errors: loadErrors)
    let serverAfter = serverPID.flatMap(processCPU)
    let machineAfter = machineCPU()
    let selfUsed = selfCPU() - selfBefore
    let completed = load.messages.filter { $0.error == nil }
    let firsts = load.messages.compactMap(\.firstEventMs)
    let completions = completed.compactMap(\.completedMs)
    let eventsReceived = load.messages.reduce(0) { $0 + $1.ids.count }
    let eventsPerSecond = Double(eventsReceived) / load.wallSeconds

    // The check of stored against received, on a sample spread over all conversations.
    let all = load.conversations
    var sample = all
    if verifySample > 0, all.count > verifySample {
        let step = Double(all.count) / Double(verifySample)
        sample = (0..<verifySample).map { all[Int(Double($0) * step)] }
    }
    note("verify: GET …/events of \(sample.count) of \(all.count) conversations")
    let checked = await verify(api, sample: sample, errors: loadErrors)
    let loadErrorCount = load.messages.filter { $0.error != nil }.count
    let otherErrors = loadErrors.total - loadErrorCount

    let p99First = percentile(firsts, 0.99)
    print(
        "messages completed: \(completed.count) of \(load.messages.count) posted"
            + " (\(String(format: "%.1f", Double(completed.count) / load.wallSeconds)) messages/s; wall \(String(format: "%.1f", load.wallSeconds)) s,"
            + " \(all.count) conversations)")
    print(
        "errors: \(loadErrorCount) messages\(otherErrors > 0 ? ", \(otherErrors) other (creates, verification)" : "")")
    loadErrors.print(indent: "  ")
    print(
        "lost events: \(checked.lost) (sample of \(checked.conversations) conversations: \(checked.stored) stored,"
            + " \(checked.received) received; unexpected \(checked.unexpected); stored streams with a gap \(checked.storedGaps)"
            + "\(checked.lostAfterErrors > 0 ? "; \(checked.lostAfterErrors) more missing in conversations whose stream failed" : ""))"
    )
    print(
        line(
            "time to first event", firsts,
            target: p99First <= 50 ? "  (target p99 <= 50 ms: met)" : "  (target p99 <= 50 ms: NOT MET)"))
    let burst = load.messages.filter(\.isFirstOfClient).compactMap(\.firstEventMs)
    let steady = load.messages.filter { !$0.isFirstOfClient }.compactMap(\.firstEventMs)
    print(line("  each client's first message (\(ramp > 0 ? "ramped" : "start burst"))", burst))
    print(line("  later messages (steady state)", steady))
    print(line("time to message.completed", completions))
    print(
        "events received: \(eventsReceived), \(String(format: "%.1f", eventsPerSecond)) events/s"
            + " (\(String(format: "%.1f", Double(eventsReceived) / Double(max(1, load.messages.count)))) per message)")
    print("where the time to the first event goes (wall clock; the server's createdAt has 1 ms resolution):")
    print(line("  POST sent -> server's send() began", load.messages.compactMap(\.toServerMs)))
    print(line("  send() began -> response head received", load.messages.compactMap(\.serverToHeadMs)))
    print(line("  response head -> first event received", load.messages.compactMap(\.headToFirstMs)))
    print("when each event type first arrives (ms after the POST):")
    let types = [
        "message.created", "plan", "token", "tool.started", "tool.output", "tool.finished", "message.completed",
    ]
    for type in types {
        let values = completed.compactMap { $0.arrivals[type] }
        if !values.isEmpty { print(line("  \(type)", values)) }
    }
    print(line("conversation create (POST, 201)", load.createMs))
    var cpu: [String: JSONValue] = ["benchClientSeconds": number(selfUsed)]
    if let serverBefore, let serverAfter {
        let own = serverAfter.own - serverBefore.own
        let children = serverAfter.children - serverBefore.children
        cpu["serverSeconds"] = number(own)
        cpu["serverChildrenSeconds"] = number(children)
        print(
            "CPU during the load: server \(String(format: "%.1f", own)) s (\(String(format: "%.2f", own / load.wallSeconds)) cores),"
                + " its reaped children (jails) \(String(format: "%.1f", children)) s, this client \(String(format: "%.1f", selfUsed)) s"
        )
    } else {
        print("CPU during the load: this client \(String(format: "%.1f", selfUsed)) s (no --server-pid)")
    }
    if let machineBefore, let machineAfter, machineAfter.total > machineBefore.total {
        let busy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
        cpu["machineBusy"] = number(busy)
        print(
            "machine busy: \(String(format: "%.0f", busy * 100))% of \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
        )
    }
    print()
    report["load"] = [
        "conversations": .integer(Int64(conversationClients)), "seconds": number(seconds),
        "wallSeconds": number(load.wallSeconds), "messagesPosted": .integer(Int64(load.messages.count)),
        "messagesCompleted": .integer(Int64(completed.count)), "errors": .integer(Int64(loadErrorCount)),
        "otherErrors": .integer(Int64(otherErrors)), "errorKinds": loadErrors.json,
        "lostEvents": .integer(Int64(checked.lost)), "verifiedConversations": .integer(Int64(checked.conversations)),
        "storedEvents": .integer(Int64(checked.stored)), "unexpectedEvents": .integer(Int64(checked.unexpected)),
        "storedGaps": .integer(Int64(checked.storedGaps)),
        "firstEvent": summary(firsts), "firstEventFirstMessages": summary(burst),
        "firstEventLaterMessages": summary(steady), "rampSeconds": number(ramp), "completed": summary(completions),
        "eventsReceived": .integer(Int64(eventsReceived)), "eventsPerSecond": number(eventsPerSecond),
        "toServer": summary(load.messages.compactMap(\.toServerMs)),
        "serverToHead": summary(load.messages.compactMap(\.serverToHeadMs)),
        "headToFirst": summary(load.messages.compactMap(\.headToFirstMs)),
        "arrivals": .object(
            Dictionary(
                uniqueKeysWithValues: types.map { type in (type, summary(completed.compactMap { $0.arrivals[type] })) })
        ),
        "cpu": .object(cpu), "firstEventTargetMet": .bool(p99First <= 50),
    ]
    if loadErrors.total > 0 || checked.lost > 0 || checked.unexpected > 0 || checked.storedGaps > 0 {
        failed.append("load")
    }
}

// MARK: 2 and 3. Runs, and the pieces in-process

if !skipRuns {
    let base = NSTemporaryDirectory() + "omega-endpoint-bench-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: base) }
    let inProcess: InProcess
    do {
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        inProcess = try InProcess.open(home: inProcessHome ?? base + "/home")
    } catch let error as OmegaError {
        note("endpoint-bench: cannot open the in-process service: \(error.message)")
        exit(1)
    } catch {
        note("endpoint-bench: cannot prepare \(base): \(error)")
        exit(1)
    }
    let text = """
        The quick brown fox jumps over the lazy dog. Dr. Smith, e.g. the vet, said the fox was fine!

        Was it? Yes: the fox and the dog are friends now, and the fox visits the dog every day.
        """
    let input: JSONValue = ["text": .string(text)]
    let inputText = input.jsonText
    let runErrors = Tally()
    let key = keys[0]

    print(
        "== 2. POST /api/tools/text.stats/runs vs omega-exec try (\(calls) sequential calls after \(warmup) warm-up, interleaved)"
    )
    note("runs: \(calls) sequential calls each way (in-process, API, /healthz, gate)")
    let sequential = await sequentialRuns(
        api, key: key, service: inProcess.host.service, folder: inProcess.folder, user: user, input: input,
        calls: calls, warmup: warmup, errors: runErrors)
    let triesCount = tryCalls ?? calls
    note("runs: \(triesCount) omega-exec try processes")
    let tries = sequentialTries(
        omega: omega, folder: textStats, inputText: inputText, calls: triesCount, warmup: min(3, triesCount),
        errors: runErrors)
    let rows: [(String, [Double])] = [
        ("(a) in-process OmegaService.run (own home)", sequential.inProcess),
        ("(b) POST /api/tools/text.stats/runs", sequential.api),
        ("    GET /healthz (HTTP round trip)", sequential.healthz),
        ("    GET /api/runs/NOT-A-RUN (+ /api gate)", sequential.gate),
        ("(c) omega-exec try (a process each)", tries),
    ]
    for (name, values) in rows { print(line(pad(name, 43) + String(format: "%6d", values.count), values)) }
    let a50 = percentile(sequential.inProcess, 0.5)
    let b50 = percentile(sequential.api, 0.5)
    let a99 = percentile(sequential.inProcess, 0.99)
    let b99 = percentile(sequential.api, 0.99)
    let c50 = percentile(tries, 0.5)
    let c99 = percentile(tries, 0.99)
    let paired = zip(sequential.api, sequential.inProcess).map { $0 - $1 }
    let added50 = b50 - a50
    print(
        String(
            format: "HTTP layer, (b) - (a): %+.3f ms at p50 (target <= 2 ms: %@), %+.3f ms at p99; ratio %.3fx at p50",
            added50, (added50 <= 2 ? "met" : "NOT MET") as NSString, b99 - a99, a50 > 0 ? b50 / a50 : 0))
    print(
        String(
            format: "  paired (b_i - a_i): p50 %+.3f ms, mean %+.3f +- %.3f ms (95%% CI)", percentile(paired, 0.5),
            mean(paired), ci95(paired)))
    print("  where (a) and (b) go, against the runs' stored event times (wall clock, whole ms: means, then p50):")
    let phases: [(String, [Double], [Double])] = [
        ("call -> run.created", sequential.inProcessPhases.beforeCreated, sequential.apiPhases.beforeCreated),
        ("run.created -> run.completed", sequential.inProcessPhases.run, sequential.apiPhases.run),
        (
            "run.completed -> returned / response", sequential.inProcessPhases.afterCompleted,
            sequential.apiPhases.afterCompleted
        ),
    ]
    for (name, a, b) in phases {
        print(
            pad("    " + name, 42)
                + String(
                    format: "(a) %7.2f / %7.2f   (b) %7.2f / %7.2f   (b) - (a) %+6.2f ms (mean)", mean(a),
                    percentile(a, 0.5),
                    mean(b), percentile(b, 0.5), mean(b) - mean(a)))
    }
    print(
        String(
            format:
                "  round trip alone (/healthz) p50 %.3f ms; the /api gate adds %+.3f ms at p50 (NOT-A-RUN - healthz)",
            percentile(sequential.healthz, 0.5), percentile(sequential.gate, 0.5) - percentile(sequential.healthz, 0.5))
    )
    print(
        String(
            format: "API / try: %.3fx at p50, %.3fx at p99 (try - API: %.1f ms at p50)", c50 > 0 ? b50 / c50 : 0,
            c99 > 0 ? b99 / c99 : 0, c50 - b50))

    note("runs: API, \(concurrency) clients for \(Int(throughputSeconds)) s")
    let apiRate = await apiThroughput(
        api, key: key, input: input, concurrency: concurrency, seconds: throughputSeconds, errors: runErrors)
    note("runs: omega-exec try, \(concurrency) parallel processes for \(Int(throughputSeconds)) s")
    let tryRate = await tryThroughput(
        omega: omega, folder: textStats, inputText: inputText, concurrency: concurrency, seconds: throughputSeconds,
        errors: runErrors)
    print("throughput, \(concurrency) at once for \(Int(throughputSeconds)) s:")
    for (name, rate) in [("API (POST …/runs, keep-alive)", apiRate), ("omega-exec try processes", tryRate)] {
        print(
            pad("  " + name, 34)
                + String(
                    format: " %7.1f runs/s  (%d runs, %d errors; p50 %.1f ms, p99 %.1f ms)", rate.perSecond,
                    rate.latencies.count, rate.errors, percentile(rate.latencies, 0.5), percentile(rate.latencies, 0.99)
                ))
    }
    print(
        String(
            format: "  API / try: %.2fx the runs per second",
            tryRate.perSecond > 0 ? apiRate.perSecond / tryRate.perSecond : 0))
    print()

    print("== 3. the server's pieces alone, in this process (no load; 200 each)")
    note("parts: timed alone")
    var partsJSON: [String: JSONValue] = [:]
    do {
        for part in try await timeParts(inProcess, count: 200) {
            print(line("  " + part.name, part.values))
            partsJSON[part.name] = summary(part.values)
        }
    } catch {
        runErrors.add("parts", example: error.message)
    }
    var messagesJSON: JSONValue = .null
    if messageCalls > 0 {
        note("parts: \(messageCalls) messages in-process and over HTTP, interleaved")
        var local: [InProcessMessage] = []
        var remote: [MessageResult] = []
        do {
            let localConversation = try inProcess.conversations.create(caller: ConversationCaller(user: user))
            guard case .success(let remoteConversation) = await createConversation(api, key: key) else {
                throw OmegaError(.internalError, "cannot create a conversation over HTTP")
            }
            for i in 0..<(messageCalls + 2) {
                let order = i % 2 == 0
                if !order {
                    let message = await postMessage(
                        api, key: key, conversation: remoteConversation, content: messageText, timeout: 300)
                    if let error = message.error {
                        runErrors.add("sequential message: " + error, example: message.errorDetail)
                    }
                    if i >= 2, message.error == nil { remote.append(message) }
                }
                let inproc = try await inProcessMessage(
                    inProcess.conversations, conversation: localConversation.id, content: messageText)
                if i >= 2 { local.append(inproc) }
                if order {
                    let message = await postMessage(
                        api, key: key, conversation: remoteConversation, content: messageText, timeout: 300)
                    if let error = message.error {
                        runErrors.add("sequential message: " + error, example: message.errorDetail)
                    }
                    if i >= 2, message.error == nil { remote.append(message) }
                }
            }
        } catch let error as OmegaError {
            runErrors.add("in-process messages", example: error.message)
        } catch {
            runErrors.add("in-process messages", example: "\(error)")
        }
        print("one message at a time (\(local.count) in-process, \(remote.count) over HTTP, after 2 warm-up):")
        print(line("  in-process send() (stores message.created)", local.map(\.sendMs)))
        print(line("  in-process time to first event", local.map(\.firstEventMs)))
        print(line("  HTTP time to first event", remote.compactMap(\.firstEventMs)))
        print(line("  in-process time to message.completed", local.map(\.completedMs)))
        print(line("  HTTP time to message.completed", remote.compactMap(\.completedMs)))
        messagesJSON = [
            "inProcessSend": summary(local.map(\.sendMs)), "inProcessFirstEvent": summary(local.map(\.firstEventMs)),
            "httpFirstEvent": summary(remote.compactMap(\.firstEventMs)),
            "inProcessCompleted": summary(local.map(\.completedMs)),
            "httpCompleted": summary(remote.compactMap(\.completedMs)),
        ]
    }
    if runErrors.total > 0 {
        print("errors (runs and parts): \(runErrors.total)")
        runErrors.print(indent: "  ")
        failed.append("runs")
    }
    print()
    await inProcess.host.shutdown()
    report["runs"] = [
        "calls": .integer(Int64(calls)), "inProcess": summary(sequential.inProcess), "api": summary(sequential.api),
        "healthz": summary(sequential.healthz), "gate": summary(sequential.gate), "try": summary(tries),
        "httpAddedP50Ms": number(added50), "httpAddedP99Ms": number(b99 - a99),
        "pairedAddedMeanMs": number(mean(paired)), "pairedAddedCI95Ms": number(ci95(paired)),
        "apiOverTryP50": number(c50 > 0 ? b50 / c50 : 0), "apiOverTryP99": number(c99 > 0 ? b99 / c99 : 0),
        "httpTargetMet": .bool(added50 <= 2),
        "phasesMeanMs": .object(
            Dictionary(
                uniqueKeysWithValues: phases.map { name, a, b in
                    (name, ["inProcess": number(mean(a)), "api": number(mean(b))] as JSONValue)
                })),
        "throughput": [
            "concurrency": .integer(Int64(concurrency)), "seconds": number(throughputSeconds),
            "apiRunsPerSecond": number(apiRate.perSecond), "apiErrors": .integer(Int64(apiRate.errors)),
            "apiP50Ms": number(percentile(apiRate.latencies, 0.5)),
            "apiP99Ms": number(percentile(apiRate.latencies, 0.99)),
            "tryRunsPerSecond": number(tryRate.perSecond), "tryErrors": .integer(Int64(tryRate.errors)),
        ],
        "parts": .object(partsJSON), "messages": messagesJSON, "errors": runErrors.json,
    ]
}

await api.shutdown()
report["failed"] = .array(failed.map(JSONValue.string))
if !failed.isEmpty { print("FAIL: " + failed.joined(separator: ", ")) }
print(JSONValue.object(report).jsonText)
exit(failed.isEmpty ? 0 : 1)
