import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ToolRuntime

/// The executor pipeline driven in-process: concurrency caps, the circuit breaker's half-open state,
/// and many runs at once.
@Suite(.serialized) struct ExecutorPipelineTests {
    /// An executor over a fresh home, and the folder fixtures go in.
    static func executor(_ configure: (inout RuntimeConfiguration) -> Void = { _ in }) throws -> (ToolRunner, String) {
        let root = Fixture.directory("pipeline")
        var configuration = RuntimeConfiguration(home: OmegaHome(root: root + "/home"))
        configure(&configuration)
        return (try ToolRunner(configuration: configuration), root)
    }

    /// The order of `step.started` events a completed run goes through.
    static let pipelineSteps = ["validate_input", "policy", "credentials", "execute", "validate_output", "finish"]

    @Test func anIdleRunnerKeepsNoChangeFeedSubscription() async throws {
        let (executor, root) = try Self.executor()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(in: root, id: "fixture.idle", script: "cat >/dev/null\necho '{}'\n")
        let watchedWhileRunning = Mutex(false)
        let outcome = await executor.start(ExecutionRequest(tool: tool)) { event in
            if event.type == .toolStarted {
                watchedWhileRunning.withLock { $0 = executor.watcher.withLock { $0 != nil } }
            }
        }
        #expect(outcome.succeeded)
        #expect(watchedWhileRunning.withLock { $0 }, "a driven run is watched for cancellation requests")
        #expect(executor.watcher.withLock { $0 == nil }, "no run is driven: nothing probes the store")
    }

    @Test func aFullQueueRefusesTheNextCallWithRateLimited() async throws {
        let (executor, root) = try Self.executor {
            $0.maxConcurrentRuns = 1
            $0.maxQueuedRuns = 0
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A short limit: if the cancellation were lost the run would end on its timeout, not hang the suite.
        let tool = Fixture.package(
            in: root, id: "fixture.slow", script: "cat >/dev/null\nsleep 81.4141\necho '{}'\n", timeoutSeconds: 20)
        let firstRun = Mutex<String?>(nil)
        let slow = Task {
            await executor.start(ExecutionRequest(tool: tool)) { event in
                if event.type == .toolStarted { firstRun.withLock { $0 = event.runID } }
            }
        }
        let started = await OmegaCLI.poll(timeout: 15) { firstRun.withLock { $0 } != nil }
        #expect(started)
        let refused = await executor.start(ExecutionRequest(tool: tool))
        #expect(refused.error?.code == .rateLimited, "\(String(describing: refused.error))")
        #expect(refused.status == .failed)
        #expect(refused.json["details"]?["code"] == "RATE_LIMITED")
        let events = try executor.store.events(runID: refused.runID)
        #expect(!events.contains { $0.type == .toolStarted })

        let id = try #require(firstRun.withLock { $0 })
        #expect(try executor.cancel(runID: id))
        let first = await slow.value
        #expect(
            first.status == .cancelled && first.error?.code == .cancelled,
            "\(first.status.rawValue) \(String(describing: first.error)) events: \((try? executor.store.events(runID: id).map { "\($0.sequence) \($0.type.rawValue) \($0.data.jsonText.prefix(300))" }) ?? [])"
        )
        #expect(await OmegaCLI.poll(timeout: 2) { OmegaCLI.processes(matching: "sleep 81.4141").isEmpty })
        // The slot is free again.
        let quick = Fixture.package(in: root, id: "fixture.quick", script: "cat >/dev/null\necho '{}'\n")
        #expect(await executor.start(ExecutionRequest(tool: quick)).succeeded)
    }

    /// A cancel that arrives as soon as the tool starts must kill it, however the threads interleave: the
    /// jail's cancellation token has to stay reachable from `cancel(runID:)` for the whole execute step.
    @Test func cancellingARunAsSoonAsItsToolStartsAlwaysKillsTheTool() async throws {
        let (executor, root) = try Self.executor {
            $0.maxConcurrentRuns = 16
            $0.maxConcurrentRunsPerTool = 16
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(
            in: root, id: "fixture.cancel_me", script: "cat >/dev/null\nsleep 82.4242\necho '{}'\n", timeoutSeconds: 4)
        // Busy threads so the scheduler preempts the executor's threads at arbitrary points.
        let stop = Atomic<Bool>(false)
        for _ in 0..<3 {
            Thread.detachNewThread {
                var x = 0
                while !stop.load(ordering: .relaxed) { x &+= 1 }
                _ = x
            }
        }
        defer { stop.store(true, ordering: .relaxed) }
        let outcomes = await withTaskGroup(of: ExecutionOutcome.self) { group in
            for _ in 0..<48 {
                group.addTask {
                    await executor.start(ExecutionRequest(tool: tool)) { event in
                        if event.type == .toolStarted { _ = try? executor.cancel(runID: event.runID) }
                    }
                }
            }
            var all: [ExecutionOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let missed = outcomes.filter { $0.status != .cancelled }
        #expect(
            missed.isEmpty,
            "\(missed.count) of 48 runs cancelled at tool.started were not cancelled: \(missed.map { "\($0.status.rawValue) \($0.error?.code.rawValue ?? "")" })"
        )
        #expect(await OmegaCLI.poll(timeout: 3) { OmegaCLI.processes(matching: "sleep 82.4242").isEmpty })
    }

    @Test func theCircuitHalfOpensAfterItsCooldownAndASuccessClosesIt() async throws {
        let (executor, root) = try Self.executor {
            $0.breakerThreshold = 2
            $0.breakerCooldownSeconds = 1
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(
            in: root, id: "fixture.breaker",
            script: "input=$(cat)\ncase \"$input\" in *fail*) exit 3;; esac\necho '{}'\n")
        func call(_ mode: String) async -> ExecutionOutcome {
            await executor.start(ExecutionRequest(tool: tool, input: ["mode": .string(mode)]))
        }
        func ranTheTool(_ outcome: ExecutionOutcome) throws -> Bool {
            try executor.store.events(runID: outcome.runID).contains { $0.type == .toolStarted }
        }

        #expect(await call("fail").error?.code == .toolFailed)
        #expect(await call("fail").error?.code == .toolFailed)
        var refused = await call("ok")
        #expect(refused.error?.code == .toolUnavailable)
        #expect(refused.error?.details["reason"] == "circuit_open")
        #expect(try !ranTheTool(refused))

        // Half-open: after the cooldown one trial runs; when it fails the circuit opens again at once.
        try await Task.sleep(nanoseconds: 1_150_000_000)
        let trial = await call("fail")
        #expect(trial.error?.code == .toolFailed)
        #expect(try ranTheTool(trial))
        refused = await call("ok")
        #expect(refused.error?.code == .toolUnavailable)

        // After the next cooldown a successful trial closes it: the count starts again from zero.
        try await Task.sleep(nanoseconds: 1_150_000_000)
        #expect(await call("ok").succeeded)
        let health = try executor.store.toolHealth(toolID: "fixture.breaker")
        #expect(health.consecutiveFailures == 0 && health.openUntilMs == nil)
        #expect(await call("fail").error?.code == .toolFailed)
        #expect(await call("ok").succeeded, "one failure below the threshold must not open the circuit")
    }

    @Test func fiftyConcurrentRunsAllCompleteWithGaplessOrderedTimelines() async throws {
        let (executor, root) = try Self.executor()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(
            in: root, id: "fixture.fast", script: "cat >/dev/null\necho '{\"ok\": true}'\n",
            output: ["type": "object", "required": ["ok"]])
        let outcomes = await withTaskGroup(of: ExecutionOutcome.self) { group in
            for n in 0..<50 {
                group.addTask { await executor.start(ExecutionRequest(tool: tool, input: ["n": .integer(Int64(n))])) }
            }
            var all: [ExecutionOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 50)
        #expect(Set(outcomes.map(\.runID)).count == 50)
        for outcome in outcomes {
            #expect(outcome.succeeded, "\(outcome.runID): \(String(describing: outcome.error))")
            #expect(outcome.output == ["ok": true])
            let events = try executor.store.events(runID: outcome.runID)
            #expect(events.map(\.sequence) == Array(1...Int64(events.count)), "\(outcome.runID) has gaps")
            let types = events.map(\.type)
            #expect(types.first == .runCreated && types.last == .runCompleted)
            let started = try #require(types.firstIndex(of: .toolStarted))
            let finished = try #require(types.firstIndex(of: .toolFinished))
            #expect(started < finished)
            let steps = events.filter { $0.type == .stepStarted }.compactMap { $0.data["step"]?.stringValue }
            #expect(steps == Self.pipelineSteps)
            #expect(events.map(\.timestampMs) == events.map(\.timestampMs).sorted())
            #expect(try executor.store.run(id: outcome.runID)?.status == .completed)
        }
        let completed = try executor.store.runs(status: .completed, limit: 100)
        #expect(completed.count == 50)
    }

    @Test func resumingARunThatIsNotPausedIsInvalidStateAndRecordsNothing() async throws {
        let (executor, root) = try Self.executor()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(in: root, id: "fixture.once", script: "cat >/dev/null\necho '{}'\n")
        let done = await executor.start(ExecutionRequest(tool: tool))
        #expect(done.succeeded)
        let before = try executor.store.events(runID: done.runID)
        let resumed = await executor.resume(runID: done.runID, approvedBy: "someone")
        #expect(resumed.error?.code == .invalidState)
        #expect(try executor.store.events(runID: done.runID) == before)
        #expect(await executor.resume(runID: "run_nonexistent").error?.code == .invalidState)
    }

    @Test func aPausedRunResumesInAnotherExecutorSharingTheStore() async throws {
        let (executor, root) = try Self.executor()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tool = Fixture.package(
            in: root, id: "fixture.needs_key",
            script: "cat >/dev/null\nprintf '{\"length\": %d}\\n' \"${#API_KEY}\"\n",
            env: [["name": "API_KEY", "description": "the key", "required": true, "secret": true]])
        let paused = await executor.start(ExecutionRequest(tool: tool))
        #expect(paused.status == .paused && paused.error?.code == .missingEnvVars)
        let other = try ToolRunner(configuration: executor.configuration)
        let done = await other.resume(runID: paused.runID, env: ["API_KEY": "abcdef"])
        #expect(done.succeeded, "\(String(describing: done.error))")
        #expect(done.output == ["length": 6])
        let events = try executor.store.events(runID: paused.runID)
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
        #expect(events.filter { $0.type == .runResumed }.count == 1)
    }
}
