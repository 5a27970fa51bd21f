import Foundation
import Glibc
import Testing
import TestSupport
import ToolRuntime

@testable import JSON
@testable import RunStorage
@testable import ToolPackage


/// The executor pipeline through the built `omega-exec`, like a user drives it: every error code with its
/// documented exit code, pauses and resumes, cancellation, crash recovery, secrets, `test`, replay,
/// the vault and artifacts. Each test has its own `OMEGA_HOME`.
@Suite(.serialized) struct ExecutorEndToEndTests {
    typealias CLI = OmegaCLI

    // MARK: - Support

    /// A scratch directory with `home` (the `OMEGA_HOME`, created by the executor) and room for fixtures.
    struct Scratch {
        let root = Fixture.directory()
        var home: String { root + "/home" }
        var store: SQLiteRunStore { get throws { try SQLiteRunStore(path: home + "/runs.sqlite") } }
        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    /// The first example of a starter manifest (input, output).
    static func example(_ starter: String, _ index: Int = 0) throws -> (input: JSONValue, output: JSONValue) {
        let text = try String(contentsOfFile: CLI.starter(starter) + "/omega.json", encoding: .utf8)
        let example = try #require(try JSONParser().parse(text)["examples"]?.arrayValue?[index])
        return (try #require(example["input"]), try #require(example["output"]))
    }

    static let webhook = CLI.starter("webhook_prepare")
    static let webhookSecret = "test-secret-value"  // the key the webhook examples are signed with

    /// Checks the error object `{"success": false, "error": …, "details": {"code": …}, "runId": …}` and the exit code.
    @discardableResult
    static func expectError(
        _ result: CLI.Result, _ code: String, exit: Int32, hasRun: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONValue {
        #expect(result.status == exit, "\(result)", sourceLocation: sourceLocation)
        let json = try #require(
            result.json, "stdout is not one JSON document: \(result)", sourceLocation: sourceLocation)
        #expect(json["success"] == false, sourceLocation: sourceLocation)
        #expect(
            json["error"]?.stringValue?.isEmpty == false, "error must be a non-empty message",
            sourceLocation: sourceLocation)
        #expect(json["details"]?["code"]?.stringValue == code, "\(result)", sourceLocation: sourceLocation)
        if hasRun {
            #expect(
                json["runId"]?.stringValue?.hasPrefix("run_") == true, "no runId: \(result)",
                sourceLocation: sourceLocation)
        }
        return json
    }

    static func runID(_ json: JSONValue) throws -> String { try #require(json["runId"]?.stringValue) }

    static func types(_ events: [RunEvent]) -> [String] { events.map(\.type.rawValue) }

    /// A tool (`/bin/sh`) whose whole job is `body` after draining stdin.
    static func shellTool(
        in scratch: Scratch, id: String, _ body: String, timeoutSeconds: Int = 30, output: JSONValue? = nil,
        env: [JSONValue] = [], scopes: [String] = [], risk: JSONValue? = nil
    ) -> String {
        Fixture.package(
            in: scratch.root, id: id, script: "cat >/dev/null\n" + body + "\n", output: output, env: env,
            scopes: scopes,
            risk: risk ?? ["level": "low", "externalWrite": false, "readOnly": true], timeoutSeconds: timeoutSeconds)
    }

    /// Polls `runs list --status running --json` until one run shows; returns its id.
    static func waitForRunningRun(home: String, timeout: Double = 15) async throws -> String? {
        var found: String?
        await CLI.poll(timeout: timeout) {
            guard let list = try? await CLI.run(["runs", "list", "--status", "running", "--json"], home: home).json,
                let id = list.arrayValue?.first?["id"]?.stringValue
            else { return false }
            found = id
            return true
        }
        return found
    }

    /// Creates the home (store, policy) with one command, so the commands a test then runs side by side do
    /// not race to create it (see processesOpeningAFreshHomeAtOnceAllSucceed).
    static func prepareHome(_ scratch: Scratch) async throws {
        let list = try await CLI.run(["runs", "list"], home: scratch.home)
        #expect(list.status == 0, "\(list)")
    }

    /// `runs events ID --json`, one JSON object per line.
    static func cliEvents(_ id: String, home: String) async throws -> [JSONValue] {
        let result = try await CLI.run(["runs", "events", id, "--json"], home: home)
        #expect(result.status == 0, "\(result)")
        return try result.stdout.split(separator: "\n").map { try JSONParser().parse(String($0)) }
    }

    // MARK: - Error codes and exit codes

    @Test func invalidInputNamesTheFailingPathAndExits65() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let result = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", #"{"text": 5}"#], home: scratch.home)
        let json = try Self.expectError(result, "INVALID_INPUT", exit: 65)
        #expect(json["status"] == "failed")
        let paths = json["details"]?["errors"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths.contains("/text"), "\(result)")
        let run = try #require(try scratch.store.run(id: try Self.runID(json)))
        #expect(run.status == .failed && run.step == "validate_input")
        #expect(!Self.types(try scratch.store.events(runID: run.id)).contains("tool.started"))
    }

    @Test func malformedInputJSONIsInvalidInputBeforeAnyRun() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let result = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", #"{"text": "#], home: scratch.home)
        let json = try Self.expectError(result, "INVALID_INPUT", exit: 65, hasRun: false)
        #expect(json["details"]?["field"] == "input")
    }

    @Test func anUndeclaredEnvNameIsInvalidInputNamingIt() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let result = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", #"{"text": "a"}"#, "--env", "NOT_DECLARED=1"],
            home: scratch.home)
        let json = try Self.expectError(result, "INVALID_INPUT", exit: 65)
        let paths = json["details"]?["errors"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths == ["/env/NOT_DECLARED"], "\(result)")
    }

    @Test func anUnknownToolIsToolNotFound66() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let folder = try await CLI.run(["try", scratch.root + "/no-such-package"], home: scratch.home)
        let json = try Self.expectError(folder, "TOOL_NOT_FOUND", exit: 66)
        #expect(try scratch.store.run(id: try Self.runID(json))?.status == .failed)
        let installed = try await CLI.run(["try", "no.such_tool"], home: scratch.home)
        try Self.expectError(installed, "TOOL_NOT_FOUND", exit: 66)
        let version = try await CLI.run(["try", "no.such_tool@1.0.0"], home: scratch.home)
        try Self.expectError(version, "TOOL_NOT_FOUND", exit: 66)
    }

    @Test func aScopeThePolicyDoesNotGrantIsPolicyDenied77() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(
            in: scratch, id: "fixture.db_writer", "echo '{}'", scopes: ["write_database"],
            risk: ["level": "low", "externalWrite": false, "readOnly": false])
        let result = try await CLI.run(["try", tool, "--approve"], home: scratch.home)
        let json = try Self.expectError(result, "POLICY_DENIED", exit: 77)
        #expect(json["details"]?["scopes"] == ["write_database"])
        let events = try scratch.store.events(runID: try Self.runID(json))
        #expect(!Self.types(events).contains("tool.started"), "a denied tool must not run")
        #expect(events.last?.type == .runFailed)
    }

    @Test func anElevatedCallPausesForApproval68() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let input = try Self.example("webhook_prepare").input
        let result = try await CLI.run(["try", Self.webhook, "--input", input.jsonText], home: scratch.home)
        let json = try Self.expectError(result, "APPROVAL_REQUIRED", exit: 68)
        #expect(json["status"] == "paused")
        let details = try #require(json["details"])
        #expect(details["toolId"] == "notify.webhook_prepare")
        #expect(details["scopes"] == ["send_webhook"])
        #expect(details["inputDigest"]?.stringValue?.isEmpty == false)
        let run = try #require(try scratch.store.run(id: try Self.runID(json)))
        #expect(run.status == .paused && run.step == "policy")
    }

    @Test func missingEnvVarsHasExactlyTheDesignShape67() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let input = try Self.example("webhook_prepare").input
        let result = try await CLI.run(
            ["try", Self.webhook, "--approve", "--input", input.jsonText], home: scratch.home)
        let json = try Self.expectError(result, "MISSING_ENV_VARS", exit: 67)
        let top = try #require(json.objectValue)
        #expect(Set(top.keys) == ["success", "error", "details", "runId", "status"], "\(result)")
        #expect(json["error"] == "Missing required environment variables")
        #expect(json["status"] == "paused")
        let details = try #require(json["details"]?.objectValue)
        #expect(Set(details.keys) == ["code", "missingVars", "hint"], "\(result)")
        #expect(details["hint"] == "Provide these variables in the 'env' field of your request")
        #expect(
            details["missingVars"]
                == [
                    [
                        "name": "WEBHOOK_SECRET",
                        "description":
                            "Shared secret used to sign webhook deliveries (HMAC-SHA256); the receiver verifies X-Signature-256 with it.",
                    ]
                ])
        for variable in details["missingVars"]?.arrayValue ?? [] {
            #expect(Set(variable.objectValue?.keys.map { $0 } ?? []) == ["name", "description"])
        }
        let run = try #require(try scratch.store.run(id: try Self.runID(json)))
        #expect(run.status == .paused && run.step == "credentials")
        #expect(try scratch.store.credentialRequests(runID: run.id).first?.names == ["WEBHOOK_SECRET"])
    }

    @Test func outputThatIsNotJSONIsInvalidOutput71() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.garbage", "echo 'this is not json'")
        let json = try Self.expectError(
            try await CLI.run(["try", tool], home: scratch.home), "INVALID_OUTPUT", exit: 71)
        #expect(json["details"]?["stdoutHead"]?.stringValue?.contains("this is not json") == true)
    }

    @Test func outputThatBreaksTheOutputSchemaIsInvalidOutputNamingThePath() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(
            in: scratch, id: "fixture.wrong_shape", #"echo '{"n": "seven"}'"#,
            output: ["type": "object", "required": ["n"], "properties": ["n": ["type": "integer"]]])
        let result = try await CLI.run(["try", tool], home: scratch.home)
        let json = try Self.expectError(result, "INVALID_OUTPUT", exit: 71)
        let paths = json["details"]?["errors"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths.contains("/n"), "\(result)")
    }

    @Test func aNonZeroExitIsToolFailed72() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.exit3", #"echo 'something broke' >&2; exit 3"#)
        let result = try await CLI.run(["try", tool], home: scratch.home)
        let json = try Self.expectError(result, "TOOL_FAILED", exit: 72)
        #expect(json["details"]?["verdict"]?["exitCode"] == 3)
        #expect(json["details"]?["verdict"]?["status"] == "runtime_error")
        #expect(json["details"]?["stderrTail"]?.stringValue?.contains("something broke") == true)
    }

    @Test func aToolPastItsTimeLimitIsTimeout124AndLeavesNoProcess() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.sleeper", "sleep 31.4159; echo '{}'", timeoutSeconds: 1)
        let result = try await CLI.run(["try", tool], home: scratch.home, timeout: 40)
        let json = try Self.expectError(result, "TIMEOUT", exit: 124)
        #expect(result.seconds < 8, "a 1 s limit took \(result.seconds) s")
        #expect(json["details"]?["verdict"]?["status"] == "timeout")
        #expect(CLI.processes(matching: "sleep 31.4159").isEmpty, "the timed-out tool's tree must be dead")
    }

    /// A command whose program does not exist in the jail: the exec failure comes back through the jail's
    /// status pipe as a `setup_error` verdict, so the run fails with SANDBOX_FAILURE (70), naming the program
    /// (not TOOL_FAILED with a shell-style exit 127).
    @Test func aProgramThatDoesNotExistFailsTheRunCleanly() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Fixture.package(
            in: scratch.root, id: "fixture.no_program", script: "", command: ["/usr/bin/omega-no-such-program"])
        let result = try await CLI.run(["try", tool], home: scratch.home)
        let json = try #require(result.json, "\(result)")
        let code = json["details"]?["code"]?.stringValue
        #expect(code == "SANDBOX_FAILURE", "observed \(code ?? "nil"): \(result)")
        #expect(result.status == 70, "\(result)")
        #expect(json["details"]?["verdict"]?["status"] == "setup_error")
        #expect(json["runId"]?.stringValue != nil)
        #expect(result.stdout.contains("omega-no-such-program") || result.stdout.contains("ENOENT"), "\(result)")
    }

    @Test func theCircuitOpensAtTheThresholdAndRefusesWithToolUnavailable69() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.flaky", "exit 3")
        let env = ["OMEGA_BREAKER_THRESHOLD": "2", "OMEGA_BREAKER_COOLDOWN_SECONDS": "60"]
        for _ in 0..<2 {
            try Self.expectError(
                try await CLI.run(["try", tool], home: scratch.home, env: env), "TOOL_FAILED", exit: 72)
        }
        let third = try await CLI.run(["try", tool], home: scratch.home, env: env)
        let json = try Self.expectError(third, "TOOL_UNAVAILABLE", exit: 69)
        #expect(json["details"]?["reason"] == "circuit_open")
        #expect(json["details"]?["consecutiveFailures"] == 2)
        #expect((json["details"]?["retryAfterMs"]?.doubleValue ?? 0) > 50_000)
        #expect(!Self.types(try scratch.store.events(runID: try Self.runID(json))).contains("tool.started"))
    }

    @Test func sigintCancelsTheRunExits130AndKillsTheJail() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.sigint_sleeper", "sleep 77.1717; echo '{}'")
        let running = try CLI.launch(["try", tool], home: scratch.home)
        let started = await CLI.poll(timeout: 15) { !CLI.processes(matching: "sleep 77.1717").isEmpty }
        #expect(started, "the tool never started")
        try? await Task.sleep(nanoseconds: 300_000_000)
        let signalled = Date()
        running.signal(SIGINT)
        let result = await running.wait(timeout: 20)
        #expect(Date().timeIntervalSince(signalled) < 5)
        let json = try Self.expectError(result, "CANCELLED", exit: 130)
        #expect(json["status"] == "cancelled")
        let show = try await CLI.run(["runs", "show", try Self.runID(json), "--json"], home: scratch.home)
        #expect(show.json?["status"] == "cancelled", "\(show)")
        #expect(show.json?["events"]?.arrayValue?.last?["type"] == "run.cancelled")
        let gone = await CLI.poll(timeout: 2) { CLI.processes(matching: "sleep 77.1717").isEmpty }
        #expect(gone, "a process of the jail outlived the cancelled run")
    }

    // MARK: - Pauses and resumes

    @Test func resumeWithTheMissingEnvCompletesOnOneGaplessTimeline() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let example = try Self.example("webhook_prepare")
        let paused = try await CLI.run(
            ["try", Self.webhook, "--approve", "--input", example.input.jsonText], home: scratch.home)
        let id = try Self.runID(try Self.expectError(paused, "MISSING_ENV_VARS", exit: 67))
        let before = try scratch.store.events(runID: id)
        #expect(before.last?.type == .runPaused)

        let resumed = try await CLI.run(
            ["runs", "resume", id, "--env", "WEBHOOK_SECRET=\(Self.webhookSecret)"], home: scratch.home)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.json == example.output, "\(resumed)")

        let after = try scratch.store.events(runID: id)
        #expect(
            after.map(\.sequence) == Array(1...Int64(after.count)),
            "sequence numbers have gaps: \(after.map(\.sequence))")
        #expect(Array(after.prefix(before.count)) == before, "events before the pause changed after the resume")
        let types = Self.types(after)
        let pausedAt = try #require(types.firstIndex(of: "run.paused"))
        let resumedAt = try #require(types.firstIndex(of: "run.resumed"))
        #expect(pausedAt < resumedAt)
        #expect(after[resumedAt].data["step"] == "credentials")
        #expect(types.first == "run.created" && types.last == "run.completed")
        #expect(types.firstIndex(of: "tool.started")! > resumedAt)
        #expect(try scratch.store.run(id: id)?.status == .completed)
        #expect(try scratch.store.credentialRequests(runID: id).allSatisfy { $0.resolvedAtMs != nil })

        let listed = try await Self.cliEvents(id, home: scratch.home)
        #expect(listed.count == after.count)
        for (line, event) in zip(listed, after) {
            #expect(line["sequence"] == .integer(event.sequence))
            #expect(line["type"]?.stringValue == event.type.rawValue)
            #expect(line["timestamp"] == .integer(event.timestampMs))
            #expect(line["data"] == event.data)
        }
    }

    @Test func approvalThenEnvResumesToCompletion() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let example = try Self.example("webhook_prepare")
        let first = try await CLI.run(["try", Self.webhook, "--input", example.input.jsonText], home: scratch.home)
        let id = try Self.runID(try Self.expectError(first, "APPROVAL_REQUIRED", exit: 68))
        let approved = try await CLI.run(["runs", "resume", id, "--approve"], home: scratch.home)
        let json = try Self.expectError(approved, "MISSING_ENV_VARS", exit: 67)
        #expect(json["runId"]?.stringValue == id)
        let done = try await CLI.run(
            ["runs", "resume", id, "--env", "WEBHOOK_SECRET=\(Self.webhookSecret)"], home: scratch.home)
        #expect(done.status == 0, "\(done)")
        #expect(done.json == example.output)
        let events = try scratch.store.events(runID: id)
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
        let resumedSteps = events.filter { $0.type == .runResumed }.map { $0.data["step"]?.stringValue ?? "" }
        #expect(resumedSteps == ["policy", "credentials"])
        #expect(Self.types(events).contains("approval.granted"))
        #expect(events.last?.type == .runCompleted)
    }

    @Test func resumingACompletedRunPrintsTheInvalidStateErrorObject() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let done = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", #"{"text": "a"}"#, "--json"], home: scratch.home)
        #expect(done.status == 0, "\(done)")
        let id = try Self.runID(try #require(done.json))
        let before = try scratch.store.events(runID: id)
        let again = try await CLI.run(["runs", "resume", id], home: scratch.home)
        let json = try Self.expectError(again, "INVALID_STATE", exit: 76)
        #expect(json["runId"]?.stringValue == id)
        #expect(try scratch.store.events(runID: id) == before, "a refused resume must record nothing")
    }

    @Test func tryWithApproveAndEnvCompletesInOneGo() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let example = try Self.example("webhook_prepare")
        let result = try await CLI.run(
            [
                "try", Self.webhook, "--approve", "--env", "WEBHOOK_SECRET=\(Self.webhookSecret)", "--input",
                example.input.jsonText,
            ],
            home: scratch.home)
        #expect(result.status == 0, "\(result)")
        #expect(result.json == example.output)
    }

    // MARK: - Cancellation and recovery

    @Test func cancellingAPausedRunEndsIt() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let input = try Self.example("webhook_prepare").input
        let paused = try await CLI.run(["try", Self.webhook, "--input", input.jsonText], home: scratch.home)
        let id = try Self.runID(try Self.expectError(paused, "APPROVAL_REQUIRED", exit: 68))
        let cancel = try await CLI.run(["runs", "cancel", id], home: scratch.home)
        #expect(cancel.status == 0, "\(cancel)")
        let run = try #require(try scratch.store.run(id: id))
        #expect(run.status == .cancelled)
        #expect(try scratch.store.events(runID: id).last?.type == .runCancelled)
        try Self.expectError(
            try await CLI.run(["runs", "resume", id, "--approve"], home: scratch.home), "INVALID_STATE", exit: 76)
        #expect(try await CLI.run(["runs", "cancel", id], home: scratch.home).status == 76)
    }

    @Test func runsCancelStopsARunDrivenByAnotherProcess() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(in: scratch, id: "fixture.remote_sleeper", "sleep 78.2828; echo '{}'")
        try await Self.prepareHome(scratch)
        let driver = try CLI.launch(["try", tool], home: scratch.home)
        let id = try #require(try await Self.waitForRunningRun(home: scratch.home))
        await CLI.poll(timeout: 10) { !CLI.processes(matching: "sleep 78.2828").isEmpty }
        let cancel = try await CLI.run(["runs", "cancel", id], home: scratch.home)
        #expect(cancel.status == 0, "\(cancel)")
        let requested = Date()
        let result = await driver.wait(timeout: 20)
        #expect(
            Date().timeIntervalSince(requested) < 3, "the driver took \(Date().timeIntervalSince(requested)) s to stop")
        try Self.expectError(result, "CANCELLED", exit: 130)
        #expect(try scratch.store.run(id: id)?.status == .cancelled)
        let types = Self.types(try scratch.store.events(runID: id))
        #expect(types.contains("run.cancel_requested") && types.last == "run.cancelled")
        #expect(await CLI.poll(timeout: 2) { CLI.processes(matching: "sleep 78.2828").isEmpty })
    }

    @Test func killingTheDriverKillsTheJailAndTheNextStartMarksTheRunInterrupted() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(
            in: scratch, id: "fixture.orphan_sleeper", "sleep 79.3939; echo '{}'", timeoutSeconds: 60)
        try await Self.prepareHome(scratch)
        let driver = try CLI.launch(["try", tool], home: scratch.home)
        let id = try #require(try await Self.waitForRunningRun(home: scratch.home))
        let toolRunning = await CLI.poll(timeout: 10) { !CLI.processes(matching: "sleep 79.3939").isEmpty }
        #expect(toolRunning)
        await CLI.poll(timeout: 5) {
            (try? scratch.store.events(runID: id).contains { $0.type == .toolStarted }) == true
        }
        let committed = try scratch.store.events(runID: id)
        #expect(Self.types(committed).contains("tool.started"))

        driver.signal(SIGKILL)  // the front execs the suite: this pid is the process driving the run
        let killed = await driver.wait(timeout: 10)
        #expect(killed.status == SIGKILL || killed.status == 128 + SIGKILL, "\(killed)")
        let gone = await CLI.poll(timeout: 2) { CLI.processes(matching: "sleep 79.3939").isEmpty }
        #expect(gone, "the jailed tool outlived the process supervising it")

        let list = try await CLI.run(["runs", "list", "--json"], home: scratch.home)
        let entry = list.json?.arrayValue?.first { $0["id"]?.stringValue == id }
        #expect(entry?["status"] == "interrupted", "\(list)")
        let after = try scratch.store.events(runID: id)
        #expect(
            Array(after.prefix(committed.count)) == committed, "events committed before the kill were lost or changed")
        #expect(after.last?.type == .runInterrupted)
        #expect(after.map(\.sequence) == Array(1...Int64(after.count)))
        #expect(try scratch.store.run(id: id)?.status == .interrupted)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch.home + "/work")) ?? [] {
            #expect(!name.contains(id), "scratch of the interrupted run left behind: \(name)")
        }
    }

    /// Several commands started at once on a home that does not exist yet (a fleet of agents, a CI matrix)
    /// must all open it: creating the store's schema and installing the default policy must not race.
    @Test func processesOpeningAFreshHomeAtOnceAllSucceed() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        var failures: [String] = []
        for round in 0..<5 {
            let home = scratch.root + "/home-\(round)"
            let commands = try (0..<4).map { _ in try CLI.launch(["runs", "list", "--json"], home: home) }
            for command in commands {
                let result = await command.wait(timeout: 30)
                if result.status != 0 { failures.append("round \(round): \(result)") }
            }
        }
        #expect(
            failures.isEmpty,
            "\(failures.count) of 20 commands failed to open a fresh home:\n\(failures.joined(separator: "\n"))")
    }

    // MARK: - Secrets

    @Test func noSecretValueReachesTheStoreTheArtifactsOrTheCLIOutput() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let secret = "some-distinctive-secret-value-123"
        var outputs: [CLI.Result] = []

        let input = try Self.example("webhook_prepare").input
        let webhook = try await CLI.run(
            [
                "try", Self.webhook, "--approve", "--env", "WEBHOOK_SECRET=\(secret)", "--input", input.jsonText,
                "--json",
            ],
            home: scratch.home)
        #expect(webhook.status == 0, "\(webhook)")
        outputs.append(webhook)

        // A hostile tool: prints its secret on stdout (as a value and as a key), on stderr, in an artifact.
        let leak = Fixture.package(
            in: scratch.root, id: "fixture.leaker",
            script: """
                input=$(cat)
                echo "my token is $LEAK_TOKEN" >&2
                printf 'leaked %s\\n' "$LEAK_TOKEN" > /work/out/leak.txt
                case "$input" in
                  *fail*) printf '{"error": "%s"}\\n' "$LEAK_TOKEN"; exit 3;;
                  *garbage*) echo "not json $LEAK_TOKEN"; exit 0;;
                esac
                printf '{"echo": "%s", "%s": 1}\\n' "$LEAK_TOKEN" "$LEAK_TOKEN"

                """,
            env: [["name": "LEAK_TOKEN", "description": "a token", "required": true, "secret": true]])
        for (mode, code) in [("ok", Int32(0)), ("fail", 72), ("garbage", 71)] {
            let result = try await CLI.run(
                ["try", leak, "--env", "LEAK_TOKEN=\(secret)", "--input", #"{"mode": "\#(mode)"}"#, "--json"],
                home: scratch.home)
            #expect(result.status == code, "\(mode): \(result)")
            outputs.append(result)
        }
        // Every way of reading the runs back.
        let list = try await CLI.run(["runs", "list", "--json"], home: scratch.home)
        outputs.append(list)
        for id in list.json?.arrayValue?.compactMap({ $0["id"]?.stringValue }) ?? [] {
            outputs.append(try await CLI.run(["runs", "show", id, "--json"], home: scratch.home))
            outputs.append(try await CLI.run(["runs", "show", id], home: scratch.home))
            outputs.append(try await CLI.run(["runs", "events", id], home: scratch.home))
        }
        #expect(outputs.count > 10)

        let needles = [secret, ByteEncoding.base64(Array(secret.utf8))]
        for output in outputs {
            for needle in needles {
                #expect(
                    !output.stdout.contains(needle) && !output.stderr.contains(needle),
                    "secret in CLI output: \(output)")
            }
        }
        let files = Fixture.files(under: scratch.home)
        #expect(files.contains { $0.hasSuffix("/runs.sqlite") })
        #expect(files.contains { $0.hasSuffix("/leak.txt") }, "the leak artifact should be kept (redacted)")
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for needle in needles {
                #expect(bytes.range(of: Data(needle.utf8)) == nil, "secret found in \(file)")
            }
        }
    }

    // MARK: - omega-exec test

    @Test func testPassesForEveryStarterPackageAndWritesJUnit() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        // The network tools' examples need their hosts: Tests/egress-internet runs `omega-exec test` on them.
        let starters = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot + "/Manifests")
            .filter { FileManager.default.fileExists(atPath: CLI.starter($0) + "/omega.json") }
            .filter { name in
                let text = (try? String(contentsOfFile: CLI.starter(name) + "/omega.json", encoding: .utf8)) ?? ""
                return (try? JSONParser().parse(text))?["network"] == nil
            }.sorted()
        #expect(starters.count >= 8)
        var running: [(String, OmegaCLI.Running)] = []
        for name in starters {
            var arguments = ["test", CLI.starter(name), "--junit", scratch.root + "/\(name).xml"]
            if name == "webhook_prepare" { arguments += ["--env", "WEBHOOK_SECRET=\(Self.webhookSecret)"] }
            running.append((name, try CLI.launch(arguments, home: scratch.root + "/home-\(name)")))
        }
        for (name, process) in running {
            let result = await process.wait(timeout: 120)
            #expect(result.status == 0, "\(name): \(result)")
            let manifest = try JSONParser().parse(
                try String(contentsOfFile: CLI.starter(name) + "/omega.json", encoding: .utf8))
            let examples = manifest["examples"]?.arrayValue?.count ?? 0
            let xml = try String(contentsOfFile: scratch.root + "/\(name).xml", encoding: .utf8)
            #expect(xml.hasPrefix("<?xml"))
            #expect(
                xml.components(separatedBy: "<testcase ").count - 1 == examples + 1,
                "\(name): lint + \(examples) examples\n\(xml)")
            #expect(xml.contains("tests=\"\(examples + 1)\" failures=\"0\""), "\(name)\n\(xml)")
            #expect(!xml.contains("<failure"))
            #expect(xml.contains("</testsuites>"))
        }
    }

    @Test func testFailsOnAWrongExampleOutputAndTheJUnitHasAFailure() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Fixture.package(
            in: scratch.root, id: "fixture.wrong_example", script: "cat >/dev/null\necho '{\"n\": 1}'\n",
            output: ["type": "object", "properties": ["n": ["type": "integer"]]],
            examples: [
                ["name": "right", "input": [:], "output": ["n": 1]],
                ["name": "wrong", "input": [:], "output": ["n": 2]],
            ])
        let junit = scratch.root + "/report.xml"
        let result = try await CLI.run(["test", tool, "--junit", junit], home: scratch.home)
        #expect(result.status == 1, "\(result)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 3, "\(xml)")
        #expect(xml.components(separatedBy: "<failure").count - 1 == 1, "\(xml)")
        #expect(xml.contains("tests=\"3\" failures=\"1\""), "\(xml)")
        #expect(xml.contains("name=\"wrong\""))
    }

    // MARK: - Replay, vault, artifacts

    @Test func replayCreatesANewRunWithTheSameOutput() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let input: JSONValue = ["text": "Hello world. Hello again, world.", "topWords": 2]
        let first = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", input.jsonText, "--json"], home: scratch.home)
        #expect(first.status == 0, "\(first)")
        let original = try #require(first.json)
        let id = try Self.runID(original)
        let replay = try await CLI.run(["runs", "replay", id, "--json"], home: scratch.home)
        #expect(replay.status == 0, "\(replay)")
        let copy = try #require(replay.json)
        let newID = try Self.runID(copy)
        #expect(newID != id)
        #expect(copy["output"] == original["output"])
        #expect(original["output"]?["words"] == 5)
        let show = try await CLI.run(["runs", "show", newID, "--json"], home: scratch.home)
        #expect(show.json?["replayOf"]?.stringValue == id)
        #expect(show.json?["input"] == input)
        #expect(show.json?["status"] == "completed")
    }

    @Test func aVaultCredentialIsUsedWithoutEnvAndNeverListed() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let scope = "tool:notify.webhook_prepare"
        // Let the executor create the home first (see credentialsSetOnAFreshHomeKeepsItUsableByTheJail).
        #expect(try await CLI.run(["runs", "list"], home: scratch.home).status == 0)
        let set = try await CLI.run(
            ["credentials", "set", "WEBHOOK_SECRET", "--scope", scope], home: scratch.home,
            stdin: Self.webhookSecret + "\n")
        #expect(set.status == 0, "\(set)")
        #expect(!set.stdout.contains(Self.webhookSecret))

        let list = try await CLI.run(["credentials", "list"], home: scratch.home)
        #expect(list.status == 0 && list.stdout.contains("WEBHOOK_SECRET") && list.stdout.contains(scope), "\(list)")
        let listJSON = try await CLI.run(["credentials", "list", "--json"], home: scratch.home)
        #expect(listJSON.json == [["name": "WEBHOOK_SECRET", "scope": .string(scope)]], "\(listJSON)")
        for output in [list, listJSON] {
            #expect(!output.stdout.contains(Self.webhookSecret) && !output.stderr.contains(Self.webhookSecret))
        }

        let example = try Self.example("webhook_prepare")
        // A package named by path could claim any id: it does not get the tool's own credentials.
        let byPath = try await CLI.run(
            ["try", Self.webhook, "--approve", "--input", example.input.jsonText, "--json"], home: scratch.home)
        try Self.expectError(byPath, "MISSING_ENV_VARS", exit: 67)
        // Installed, its id is vouched for.
        let install = try await CLI.run(["install", Self.webhook, "--allow-unsigned"], home: scratch.home)
        #expect(install.status == 0, "\(install)")
        let run = try await CLI.run(
            ["try", "notify.webhook_prepare", "--approve", "--input", example.input.jsonText, "--json"],
            home: scratch.home)
        #expect(run.status == 0, "\(run)")
        #expect(run.json?["output"] == example.output)
        let events = try scratch.store.events(runID: try Self.runID(try #require(run.json)))
        let started = try #require(events.first { $0.type == .toolStarted })
        #expect(started.data["env"] == [["name": "WEBHOOK_SECRET", "source": "vault"]])

        let remove = try await CLI.run(["credentials", "rm", "WEBHOOK_SECRET", "--scope", scope], home: scratch.home)
        #expect(remove.status == 0, "\(remove)")
        #expect(
            try await CLI.run(["credentials", "rm", "WEBHOOK_SECRET", "--scope", scope], home: scratch.home).status == 1
        )
        #expect(!(try await CLI.run(["credentials", "list"], home: scratch.home)).stdout.contains("WEBHOOK_SECRET"))
        let without = try await CLI.run(
            ["try", "notify.webhook_prepare", "--approve", "--input", example.input.jsonText], home: scratch.home)
        try Self.expectError(without, "MISSING_ENV_VARS", exit: 67)
    }

    /// `credentials set` as the very first command must not leave `OMEGA_HOME` private: the jail's
    /// unprivileged uid has to traverse it to reach the run's `/work/out` outbox.
    @Test func credentialsSetOnAFreshHomeKeepsItUsableByTheJail() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let set = try await CLI.run(["credentials", "set", "SOME_KEY"], home: scratch.home, stdin: "value\n")
        #expect(set.status == 0, "\(set)")
        let result = try await CLI.run(
            ["try", CLI.starter("text_stats"), "--input", #"{"text": "a b"}"#], home: scratch.home)
        #expect(result.status == 0, "a run after `credentials set` on a fresh home failed: \(result)")
        var info = stat()
        #expect(stat(scratch.home, &info) == 0 && info.st_mode & 0o011 == 0o011, "OMEGA_HOME is not traversable")
    }

    @Test func artifactsAreCollectedWithDigestsAndSymlinksAreNotFollowed() async throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let tool = Self.shellTool(
            in: scratch, id: "fixture.artifacts",
            """
            mkdir -p /work/out/sub
            printf 'alpha\\n' > /work/out/a.txt
            printf 'bravo-bravo\\n' > /work/out/sub/b.txt
            ln -s /etc/shadow /work/out/evil
            echo '{}'
            """)
        let result = try await CLI.run(["try", tool, "--json"], home: scratch.home)
        #expect(result.status == 0, "\(result)")
        let json = try #require(result.json)
        let id = try Self.runID(json)
        let artifacts = (json["artifacts"]?.arrayValue ?? []).sorted {
            ($0["path"]?.stringValue ?? "") < ($1["path"]?.stringValue ?? "")
        }
        #expect(
            artifacts == [
                [
                    "path": "a.txt", "bytes": 6, "redacted": false,
                    "sha256": "b6a98d9ce9a2d9149288fa3df42d377c3e42737afdcdaf714e33c0a100b51060",
                ],
                [
                    "path": "sub/b.txt", "bytes": 12, "redacted": false,
                    "sha256": "4bd26da4728958f314620b662eaaa1d063f840f727fe389b4c097e7c3e4f2ae6",
                ],
            ], "\(result)")
        let directory = scratch.home + "/runs/\(id)/artifacts"
        #expect(FileManager.default.contents(atPath: directory + "/a.txt") == Data("alpha\n".utf8))
        #expect(FileManager.default.contents(atPath: directory + "/sub/b.txt") == Data("bravo-bravo\n".utf8))
        var info = stat()
        #expect(lstat(directory + "/evil", &info) != 0, "the symlink (or what it points to) was kept")
        #expect(Fixture.files(under: directory).count == 2)
        let completed = try #require(try scratch.store.events(runID: id).last)
        #expect(completed.type == .runCompleted)
        let refused = completed.data["refusedArtifacts"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(refused == ["evil"], "\(completed.data)")
    }
}
