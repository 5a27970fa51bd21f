import AgentHost
import AsyncHTTPClient
import Foundation
import JSON
import Service
import Synchronization
import ToolRuntime

/// Sequential calls of text.stats each way, interleaved (the order alternating) so all see the same
/// machine noise, in milliseconds.
struct SequentialRuns: Sendable {
    /// (a) `OmegaService.run` in this process, on its own home: the pipeline alone.
    var inProcess: [Double] = []
    /// (b) `POST /api/tools/text.stats/runs` (keep-alive): HTTP, the gate, the route, the same pipeline.
    var api: [Double] = []
    /// `GET /healthz`: an HTTP round trip through the server with no key check and no work.
    var healthz: [Double] = []
    /// `GET /api/runs/NOT-A-RUN` (404 before any store read): the round trip plus the `/api` gate (key
    /// check, rate limiter, metrics).
    var gate: [Double] = []
    /// Where (a)'s and (b)'s time goes, against the run's stored event times (wall clock, 1 ms).
    var inProcessPhases = Phases()
    var apiPhases = Phases()
}

/// A call split at its run's `run.created` and `run.completed` events (their stored wall-clock times,
/// whole milliseconds: compare means over many calls): before the run exists (HTTP, the gate, the route,
/// resolving and copying the package), the run, and after it ended (the route's audit record, the
/// response).
struct Phases: Sendable {
    var beforeCreated: [Double] = []
    var run: [Double] = []
    var afterCompleted: [Double] = []

    mutating func add(start: Double, end: Double, events: [(type: String, atMs: Int64)]) {
        guard let created = events.first(where: { $0.type == "run.created" })?.atMs,
            let completed = events.last(where: { $0.type == "run.completed" })?.atMs
        else { return }
        beforeCreated.append(Double(created) - start)
        run.append(Double(completed - created))
        afterCompleted.append(end - Double(completed))
    }
}

/// The stored events of run `id` (`GET /api/runs/{id}`): type and time.
func runEvents(_ api: API, key: String, id: String) async -> [(type: String, atMs: Int64)] {
    guard let (status, text) = try? await api.call("GET", "/api/runs/\(id)", key: key), status == 200,
        let events = (try? JSONParser().parse(text))?["events"]?.arrayValue
    else { return [] }
    return events.compactMap { event in
        guard let type = event["type"]?.stringValue, case .integer(let at)? = event["timestamp"] else { return nil }
        return (type, at)
    }
}

/// Collects a run's events as the pipeline stores them.
final class EventLog: Sendable {
    let events = Mutex<[(type: String, atMs: Int64)]>([])
}

/// One POST of the run route; its status and (on success) the run's id.
func postRun(_ api: API, key: String, input: JSONValue) async -> (status: Int, detail: String) {
    do {
        let (status, text) = try await api.call("POST", "/api/tools/text.stats/runs", key: key, body: ["input": input])
        guard status == 200 else { return (status, text) }
        return (status, (try? JSONParser().parse(text))?["runId"]?.stringValue ?? "")
    } catch {
        return (-1, "\(error)")
    }
}

func timeRequest(_ api: API, _ method: String, _ path: String, key: String?, expect: Int, errors: Tally, name: String)
    async -> Double?
{
    let start = now()
    do {
        let (status, text) = try await api.call(method, path, key: key)
        let elapsed = (now() - start) * 1000
        guard status == expect else {
            errors.add("\(name): http \(status)", example: text)
            return nil
        }
        return elapsed
    } catch {
        errors.add("\(name): transport error", example: "\(error)")
        return nil
    }
}

func sequentialRuns(
    _ api: API, key: String, service: OmegaService, folder: String, user: String, input: JSONValue, calls: Int,
    warmup: Int, errors: Tally
) async -> SequentialRuns {
    let request = ExecutionRequest(tool: folder, input: input, user: user)
    var result = SequentialRuns()
    var inProcessPhases = Phases()
    var apiPhases = Phases()
    func direct() async -> Double? {
        let log = EventLog()
        let wallStart = wallMs()
        let start = now()
        let outcome = await service.run(request) { event in
            log.events.withLock { $0.append((event.type.rawValue, event.timestampMs)) }
        }
        let elapsed = (now() - start) * 1000
        let wallEnd = wallMs()
        guard outcome.succeeded else {
            errors.add("in-process service.run failed", example: outcome.json.jsonText)
            return nil
        }
        inProcessPhases.add(start: wallStart, end: wallEnd, events: log.events.withLock { $0 })
        return elapsed
    }
    func overHTTP() async -> Double? {
        let wallStart = wallMs()
        let start = now()
        let (status, detail) = await postRun(api, key: key, input: input)
        let elapsed = (now() - start) * 1000
        let wallEnd = wallMs()
        guard status == 200 else {
            errors.add("POST /api/tools/text.stats/runs: http \(status)", example: detail)
            return nil
        }
        // The run's stored event times, read after the timing.
        apiPhases.add(start: wallStart, end: wallEnd, events: await runEvents(api, key: key, id: detail))
        return elapsed
    }
    func healthz() async -> Double? {
        await timeRequest(api, "GET", "/healthz", key: nil, expect: 200, errors: errors, name: "GET /healthz")
    }
    func gate() async -> Double? {
        await timeRequest(
            api, "GET", "/api/runs/NOT-A-RUN", key: key, expect: 404, errors: errors, name: "GET /api/runs/NOT-A-RUN")
    }
    for _ in 0..<warmup {
        _ = await direct()
        _ = await overHTTP()
        _ = await healthz()
        _ = await gate()
    }
    inProcessPhases = Phases()
    apiPhases = Phases()
    for i in 0..<calls {
        if i % 2 == 0 {
            if let v = await direct() { result.inProcess.append(v) }
            if let v = await overHTTP() { result.api.append(v) }
            if let v = await healthz() { result.healthz.append(v) }
            if let v = await gate() { result.gate.append(v) }
        } else {
            if let v = await gate() { result.gate.append(v) }
            if let v = await healthz() { result.healthz.append(v) }
            if let v = await overHTTP() { result.api.append(v) }
            if let v = await direct() { result.inProcess.append(v) }
        }
    }
    result.inProcessPhases = inProcessPhases
    result.apiPhases = apiPhases
    return result
}

/// `omega-exec try <folder> --input <text>` as a process, `calls` times one after the other (ms each).
func sequentialTries(omega: String, folder: String, inputText: String, calls: Int, warmup: Int, errors: Tally)
    -> [Double]
{
    let log = NSTemporaryDirectory() + "endpoint-bench-try-\(getpid()).err"
    defer { unlink(log) }
    var values: [Double] = []
    for i in 0..<(warmup + calls) {
        let start = now()
        let status = spawnAndWait([omega, "try", folder, "--input", inputText], stderrPath: log)
        let elapsed = (now() - start) * 1000
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            errors.add("omega-exec try: exit \(status)", example: text)
            continue
        }
        if i >= warmup { values.append(elapsed) }
    }
    return values
}

/// Calls made by `concurrency` clients for `seconds`: latencies (ms), errors, wall time.
struct Throughput: Sendable {
    var latencies: [Double] = []
    var errors = 0
    var wallSeconds = 0.0
    var perSecond: Double { wallSeconds > 0 ? Double(latencies.count) / wallSeconds : 0 }
}

func apiThroughput(_ api: API, key: String, input: JSONValue, concurrency: Int, seconds: Double, errors: Tally) async
    -> Throughput
{
    let start = now()
    let deadline = start + seconds
    var result = Throughput()
    await withTaskGroup(of: Throughput.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var mine = Throughput()
                while now() < deadline {
                    let t0 = now()
                    let (status, detail) = await postRun(api, key: key, input: input)
                    if status == 200 {
                        mine.latencies.append((now() - t0) * 1000)
                    } else {
                        mine.errors += 1
                        errors.add("throughput POST runs: http \(status)", example: detail)
                    }
                }
                return mine
            }
        }
        for await part in group {
            result.latencies += part.latencies
            result.errors += part.errors
        }
    }
    result.wallSeconds = now() - start
    return result
}

final class Collected: Sendable {
    let state = Mutex(Throughput())
}

func tryThroughput(
    omega: String, folder: String, inputText: String, concurrency: Int, seconds: Double, errors: Tally
) async -> Throughput {
    let start = now()
    let deadline = start + seconds
    let collected = Collected()
    await onThreads(concurrency) { index in
        let log = NSTemporaryDirectory() + "endpoint-bench-try-\(getpid())-\(index).err"
        defer { unlink(log) }
        while now() < deadline {
            let t0 = now()
            let status = spawnAndWait([omega, "try", folder, "--input", inputText], stderrPath: log)
            let elapsed = (now() - t0) * 1000
            if status == 0 {
                collected.state.withLock { $0.latencies.append(elapsed) }
            } else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                errors.add("throughput omega-exec try: exit \(status)", example: text)
                collected.state.withLock { $0.errors += 1 }
            }
        }
    }
    var result = collected.state.withLock { $0 }
    result.wallSeconds = now() - start
    return result
}
