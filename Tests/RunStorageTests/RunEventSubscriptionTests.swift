import Foundation
import JSON
import Synchronization
import Testing

@testable import RunStorage

/// Event subscriptions and the change feed: stored events then live ones, in order and without gaps;
/// woken across store instances (other processes) without polling; ended by the run's status or by
/// cancellation. And every typed payload survives its stored JSON form.
@Suite struct RunEventSubscriptionTests {
    /// A fresh store in its own temporary directory (the caller removes the directory).
    static func temporaryStore() throws -> (SQLiteRunStore, String) {
        let dir = NSTemporaryDirectory() + "omega-subscription-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try SQLiteRunStore(path: dir + "/runs.sqlite"), dir)
    }

    /// A run `id`, `running` (events 1 `run.created` and 2 `step.started`).
    static func runningRun(_ id: String, in store: some RunStore) throws {
        _ = try store.createRun(id: id, toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 1)
        try store.transition(
            runID: id, to: .running, event: .stepStarted, data: RunEventPayload.stepStarted(step: "validate").json,
            atMs: 2)
    }

    static func output(_ text: String) -> RunEventPayload {
        .toolOutput(stream: "stdout", text: text, truncated: false)
    }

    /// Every event of `subscription`, until it ends.
    static func collect(_ subscription: RunEventSubscription) async throws -> [RunEvent] {
        var events: [RunEvent] = []
        for try await event in subscription { events.append(event) }
        return events
    }

    // MARK: - 1. Stored, then live, in order, until final

    @Test func storedEventsThenNewOnesInOrderWithoutGapsUntilTheRunIsFinal() async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runningRun("r1", in: store)
        try store.append(runID: "r1", Self.output("stored"), atMs: 3)

        // The subscriber says when it has delivered everything stored (event 3); what follows is
        // written while it waits.
        let (reached, reachedContinuation) = AsyncStream<Void>.makeStream()
        let subscriber = Task { () async throws -> [RunEvent] in
            var events: [RunEvent] = []
            for try await event in store.events(of: "r1") {
                events.append(event)
                if event.sequence == 3 { reachedContinuation.yield() }
            }
            return events
        }
        defer { subscriber.cancel() }
        _ = try await within(seconds: 10, "the stored events") { await reached.first { _ in true } }
        for n in 4...8 {
            try await Task.sleep(for: .milliseconds(10))
            try store.append(runID: "r1", Self.output("live \(n)"), atMs: Int64(n))
        }
        try store.transition(
            runID: "r1", to: .completed, event: .runCompleted,
            data: RunEventPayload.runCompleted(output: ["ok": true], artifacts: [], refusedArtifacts: []).json, atMs: 9)

        // The sequence ends on its own once the run is final (else this times out).
        let received = try await within(seconds: 10, "the end of the subscription") { try await subscriber.value }
        #expect(received.map(\.sequence) == Array(1...9))
        let stored = try store.events(runID: "r1", after: 0)
        #expect(received == stored)
        #expect(received.last?.type == .runCompleted)
        #expect(received[3...7].map { $0.payload } == (4...8).map { Optional(Self.output("live \($0)")) })

        // `after:` skips what the caller has; a final run's subscription delivers the rest and ends at once.
        let rest = try await within(seconds: 10, "the rest") {
            try await Self.collect(store.events(of: "r1", after: 5))
        }
        #expect(rest.map(\.sequence) == [6, 7, 8, 9])
    }

    @Test func aRunThatDoesNotExistIsAnError() async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try await within(seconds: 10, "the error") { try await Self.collect(store.events(of: "nope")) }
            Issue.record("a subscription to an unknown run did not fail")
        } catch let error as RunStoreError {
            #expect(error.code == .runNotFound)
        }
    }

    // MARK: - 2. Woken by another store instance (another process)

    @Test func aWaitingSubscriberWakesPromptlyWhenAnotherStoreInstanceAppends() async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runningRun("r1", in: store)
        // Another process's store: its own connections; its commits never call this store's feed.
        let other = try SQLiteRunStore(path: store.path)
        let sent = Stamps()
        let writer = Task {
            for n in 3...5 {
                // Long enough for the subscriber to be waiting (the contract is 50 ms; no benchmark here).
                try await Task.sleep(for: .milliseconds(150))
                sent.mark(Int64(n))
                try other.append(runID: "r1", Self.output("from the other store \(n)"), atMs: Int64(n))
            }
            try await Task.sleep(for: .milliseconds(150))
            sent.mark(6)
            try other.transition(runID: "r1", to: .failed, event: .runFailed, data: ["step": "run_tool"], atMs: 6)
        }
        defer { writer.cancel() }

        let (received, latencies) = try await within(seconds: 20, "the other store's events") {
            var events: [RunEvent] = []
            var latencies: [Duration] = []
            for try await event in store.events(of: "r1", after: 2) {
                let arrived = ContinuousClock.now
                events.append(event)
                if let at = sent.stamp(event.sequence) { latencies.append(at.duration(to: arrived)) }
            }
            return (events, latencies)
        }
        try await writer.value
        #expect(received.map(\.sequence) == [3, 4, 5, 6])
        #expect(received.last?.type == .runFailed)  // the status the other store set ends the subscription
        #expect(latencies.count == 4)
        for latency in latencies {
            #expect(latency < .seconds(5), "an event of another store instance took \(latency) to arrive")
        }
    }

    // MARK: - 3. `.finalOrPaused`

    @Test func finalOrPausedEndsAtAPausedRunAndFinalWaitsPastIt() async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runningRun("r1", in: store)
        let finalEnded = Flag()
        let untilPaused = Task { try await Self.collect(store.events(of: "r1", until: .finalOrPaused)) }
        let untilFinal = Task { () async throws -> [RunEvent] in
            defer { finalEnded.set() }
            return try await Self.collect(store.events(of: "r1", until: .final))
        }
        defer {
            untilPaused.cancel()
            untilFinal.cancel()
        }
        try await Task.sleep(for: .milliseconds(100))
        let pause = RunEventPayload.runPaused(
            step: "credentials", reason: "MISSING_ENV_VARS", error: ["code": "MISSING_ENV_VARS"])
        try store.transition(runID: "r1", to: .paused, event: .runPaused, data: pause.json, atMs: 3)

        let paused = try await within(seconds: 10, "the paused subscription") { try await untilPaused.value }
        #expect(paused.map(\.sequence) == [1, 2, 3])
        #expect(paused.last?.payload == pause)

        // A paused run is not final: `.final` keeps waiting, then ends when the resumed run completes.
        try await Task.sleep(for: .milliseconds(200))
        #expect(!finalEnded.isSet, "a .final subscription ended at a paused run")
        try store.transition(
            runID: "r1", to: .running, event: .runResumed,
            data: RunEventPayload.runResumed(step: "credentials", policyRecheck: false, providedEnv: ["TOKEN"]).json,
            atMs: 4)
        try store.transition(
            runID: "r1", to: .completed, event: .runCompleted,
            data: RunEventPayload.runCompleted(output: [:], artifacts: [], refusedArtifacts: []).json, atMs: 5)
        let final = try await within(seconds: 10, "the final subscription") { try await untilFinal.value }
        #expect(final.map(\.type) == [.runCreated, .stepStarted, .runPaused, .runResumed, .runCompleted])

        // Subscribing to a run already paused delivers its events and ends.
        _ = try store.createRun(id: "r2", toolID: "a.b", toolVersion: "1.0.0", input: [:], atMs: 6)
        try store.transition(runID: "r2", to: .paused, event: .runPaused, data: pause.json, atMs: 7)
        let already = try await within(seconds: 10, "the paused run's events") {
            try await Self.collect(store.events(of: "r2", until: .finalOrPaused))
        }
        #expect(already.map(\.type) == [.runCreated, .runPaused])
    }

    // MARK: - 4. Cancellation

    @Test(arguments: [RunEventSubscription.Stop.final, .finalOrPaused, .never])
    func aSubscriptionEndsWhenItsTaskIsCancelled(stop: RunEventSubscription.Stop) async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runningRun("r1", in: store)  // running: no status ends the subscription
        let (delivered, deliveredContinuation) = AsyncStream<Int64>.makeStream()
        let subscriber = Task { () async throws -> [Int64] in
            var sequences: [Int64] = []
            for try await event in store.events(of: "r1", until: stop) {
                sequences.append(event.sequence)
                deliveredContinuation.yield(event.sequence)
            }
            return sequences
        }
        _ = try await within(seconds: 10, "the stored events") { await delivered.first { $0 == 2 } }
        try await Task.sleep(for: .milliseconds(50))  // now waiting for a change that never comes
        subscriber.cancel()
        let sequences = try await within(seconds: 10, "the cancelled subscription's end") { try await subscriber.value }
        #expect(sequences == [1, 2])
    }

    // MARK: - 5. Payloads

    /// One payload of every case (with and without their optional members).
    static let payloads: [RunEventPayload] = [
        .runCreated(toolID: "data.csv_analyze", toolVersion: "1.2.0", toolReference: nil, replayOf: nil),
        .runCreated(
            toolID: "data.csv_analyze", toolVersion: "1.2.0", toolReference: "data.csv_analyze@1.2.0",
            replayOf: "run-0"),
        .stepStarted(step: "validate_input"),
        .policyChecked(decision: "allow", reason: nil, scopes: ["read_files", "network"], approvedBy: "alice"),
        .policyChecked(decision: "allow", reason: nil, scopes: [], approvedBy: nil),
        .policyChecked(decision: "needs_approval", reason: "risk is high", scopes: nil, approvedBy: nil),
        .approvalRequested(details: [
            "toolID": "web.post", "toolVersion": "2.0.0", "inputDigest": "sha256:in", "packageDigest": "sha256:pkg",
            "scopes": ["network"], "risk": ["level": "high", "externalWrite": true], "reason": "writes outside",
        ]),
        .approvalGranted(
            approvedBy: "alice", inputDigest: "sha256:in", packageDigest: "sha256:pkg", kept: true, reason: "ok",
            expiresAt: 1_767_225_600_000),
        .approvalGranted(
            approvedBy: "bob", inputDigest: "sha256:in", packageDigest: "", kept: false, reason: "", expiresAt: nil),
        .credentialsRequested(missing: [
            (name: "API_TOKEN", description: "The service's token"), (name: "REGION", description: ""),
        ]),
        .credentialsRequested(missing: []),
        .toolStarted(
            command: ["/bin/sh", "/tool/run.sh"],
            env: [(name: "API_TOKEN", source: "vault"), (name: "MODE", source: "request")],
            limits: .init(timeoutSeconds: 30, memoryMB: 128, pids: 16, outputBytes: 1_048_576)),
        .toolOutput(stream: "stderr", text: "line one\nline two ✓", truncated: true),
        .toolFinished(verdict: [
            "status": "ok", "exitCode": 0, "signal": .null, "wallMs": 12.5, "cpuMs": 3, "maxRssKb": 2048,
            "truncated": false,
        ]),
        .runPaused(
            step: "credentials", reason: "MISSING_ENV_VARS", error: ["code": "MISSING_ENV_VARS", "message": "m"]),
        .runResumed(step: "credentials", policyRecheck: true, providedEnv: ["API_TOKEN"]),
        .runResumed(step: "policy", policyRecheck: false, providedEnv: []),
        .runCompleted(
            output: ["rows": 3, "mean": 1.5], artifacts: [["path": "out.csv", "bytes": 10]], refusedArtifacts: []),
        .runCompleted(output: .null, artifacts: [], refusedArtifacts: [["path": "../x", "reason": "escapes"]]),
        .runFailed(step: "run_tool", error: ["code": "TOOL_FAILED", "exitCode": 2]),
        .runCancelled(step: "run_tool", error: ["code": "CANCELLED"]),
        .runInterrupted(reason: "the process running this run ended before it finished"),
        .cancelRequested(status: "running"),
        .egressConnection(record: [
            "method": "CONNECT", "host": "docs.example.org", "port": 443, "address": "93.184.216.34",
            "verdict": "allowed", "reason": "closed", "addressRefusal": .null, "bytesUp": 517, "bytesDown": 4096,
            "durationMs": 12,
        ]),
    ]

    @Test func everyPayloadCaseRoundTripsThroughItsJSON() throws {
        #expect(Set(Self.payloads.map(\.type)) == Set(RunEventType.allCases), "a case is missing from the list")
        for payload in Self.payloads {
            let decoded = RunEventPayload(type: payload.type, data: payload.json)
            #expect(decoded == payload, "\(payload.type.rawValue): \(payload.json.jsonText)")
            #expect(decoded?.type == payload.type)
            #expect(decoded?.json == payload.json)
            // Through the stored text too (canonical JSON, parsed back).
            let reparsed = try JSONParser().parse(payload.json.canonicalText)
            #expect(RunEventPayload(type: payload.type, data: reparsed) == payload, "\(payload.type.rawValue)")
        }
    }

    @Test func everyPayloadCaseRoundTripsThroughTheStore() throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try store.createRun(id: "r1", toolID: "data.csv_analyze", toolVersion: "1.2.0", input: [:], atMs: 1)
        for (offset, payload) in Self.payloads.enumerated() {
            let event = try store.append(runID: "r1", payload, atMs: Int64(offset + 2))
            #expect(event.type == payload.type)
        }
        let stored = try store.events(runID: "r1", after: 1)
        #expect(stored.map { $0.payload } == Self.payloads.map { Optional($0) })
        #expect(
            try store.events(runID: "r1", after: 0).first?.payload
                == .runCreated(toolID: "data.csv_analyze", toolVersion: "1.2.0", toolReference: nil, replayOf: nil))
    }

    @Test func dataOfTheWrongShapeHasNoPayload() {
        #expect(RunEventPayload(type: .runCreated, data: ["toolID": "a.b"]) == nil)
        #expect(RunEventPayload(type: .stepStarted, data: [:]) == nil)
        #expect(RunEventPayload(type: .policyChecked, data: ["reason": "x"]) == nil)
        #expect(RunEventPayload(type: .approvalRequested, data: ["not", "an", "object"]) == nil)
        #expect(RunEventPayload(type: .approvalGranted, data: ["kept": true]) == nil)
    }

    // MARK: - 6. Cancellation requests across store instances

    @Test func aCancelRequestFromAnotherStoreInstanceWakesACancellationSubscriber() async throws {
        let (store, dir) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runningRun("r1", in: store)
        let other = try SQLiteRunStore(path: store.path)
        let subscription = store.changes.subscribe(.cancellation)
        try await Task.sleep(for: .milliseconds(100))  // the feed's probe has its starting point
        #expect(try store.cancelRequested(among: ["r1"]).isEmpty)

        let sent = ContinuousClock.now
        #expect(try other.requestCancel(runID: "r1", atMs: 3))
        let woke = try await within(seconds: 10, "the cancellation signal") {
            await subscription.signals.first { _ in true } != nil
        }
        let latency = sent.duration(to: .now)
        #expect(woke)
        #expect(latency < .seconds(5), "a cancellation request of another store instance took \(latency) to arrive")
        #expect(try store.cancelRequested(among: ["r1"]) == ["r1"])
        #expect(try store.run(id: "r1")?.cancelRequested == true)
        #expect(try store.events(runID: "r1", after: 0).last?.payload == .cancelRequested(status: "running"))
    }
}

// MARK: - Helpers

/// A wait that took too long.
private struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// `body`'s result, or `TimedOut` (and `body` cancelled) after `seconds`: a broken subscription fails the
/// test instead of hanging it.
private func within<T: Sendable>(
    seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimedOut(description: "waited more than \(seconds) s for \(what)")
        }
        return value
    }
}

/// When each sequence number was written (set by a writer, read by a subscriber).
private final class Stamps: Sendable {
    private let stamps = Mutex<[Int64: ContinuousClock.Instant]>([:])

    func mark(_ sequence: Int64) { stamps.withLock { $0[sequence] = .now } }
    func stamp(_ sequence: Int64) -> ContinuousClock.Instant? { stamps.withLock { $0[sequence] } }
}

/// A flag set once, from any task.
private final class Flag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
