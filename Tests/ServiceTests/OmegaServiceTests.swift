import Foundation
import JSON
import RunStorage
import Synchronization
import TestSupport
import Testing
import ToolRuntime

@testable import Service

/// The use cases every surface calls, driven in-process: runs, pauses, following and cancelling
/// runs (also from a second service on the same home, as another process would), contract tests.
@Suite(.serialized) struct OmegaServiceTests {
    static func service(_ root: String) throws -> OmegaService {
        try OmegaService(configuration: RuntimeConfiguration(home: OmegaHome(root: root + "/home")))
    }

    @Test func everyWireCodeHasItsOwnExitCodeAndAnHTTPErrorStatus() {
        let exits = OmegaError.Code.allCases.map(\.exitCode)
        #expect(Set(exits).count == exits.count)
        #expect(!exits.contains(0) && !exits.contains(1) && !exits.contains(2) && !exits.contains(64))
        for code in OmegaError.Code.allCases { #expect((400...599).contains(code.httpStatus), "\(code)") }
        #expect(OmegaError.Code.missingEnvVars.exitCode == 67 && OmegaError.Code.cancelled.exitCode == 130)
        #expect(OmegaError.Code.unauthorized.httpStatus == 401 && OmegaError.Code.rateLimited.httpStatus == 429)
    }

    @Test func aRunShowsTheTimelineItWasObservedWith() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let tool = Fixture.package(in: root, id: "fixture.echo", script: "cat >/dev/null\necho '{\"ok\":true}'\n")
        let seen = Mutex<[Int64]>([])
        let outcome = await service.run(ExecutionRequest(tool: tool)) { event in
            seen.withLock { $0.append(event.sequence) }
        }
        #expect(outcome.succeeded, "\(outcome.json.jsonText)")
        let detail = try service.run(id: outcome.runID)
        #expect(detail.events.map(\.sequence) == seen.withLock { $0 })
        #expect(detail.record.status == .completed)
        #expect(detail.json["events"]?.arrayValue?.count == detail.events.count)
        #expect(detail.toolRuns.count == 1)
    }

    @Test func followingARunYieldsEachEventAsItHappensAndEndsWhenItCompletes() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let tool = Fixture.package(
            in: root, id: "fixture.slowish", script: "cat >/dev/null\nsleep 0.5\necho '{\"ok\":true}'\n")
        let runID = Mutex<String?>(nil)
        let run = Task {
            await service.run(ExecutionRequest(tool: tool)) { event in
                if event.type == .runCreated { runID.withLock { $0 = event.runID } }
            }
        }
        #expect(await OmegaCLI.poll(timeout: 10) { runID.withLock { $0 } != nil })
        let id = try #require(runID.withLock { $0 })
        var types: [RunEventType] = []
        var sequences: [Int64] = []
        for try await event in try service.events(runID: id, follow: true) {
            types.append(event.type)
            sequences.append(event.sequence)
        }
        #expect(await run.value.succeeded)
        #expect(types.first == .runCreated && types.last == .runCompleted, "\(types)")
        #expect(sequences == Array(1...Int64(sequences.count)))
        #expect(types.contains(.toolFinished))
    }

    @Test func followingAnUnknownRunIsInvalidState() throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        #expect(throws: OmegaError.self) { _ = try service.events(runID: "run_nope", follow: true) }
        do {
            _ = try service.events(runID: "run_nope", follow: true)
        } catch {
            #expect(error.code == .invalidState)
        }
    }

    @Test func aRunDrivenByAnotherServiceIsCancelledThroughTheStoresChangeFeed() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let driver = try Self.service(root)
        let other = try Self.service(root)
        let tool = Fixture.package(
            in: root, id: "fixture.sleeper", script: "cat >/dev/null\nsleep 71.7171\necho '{}'\n", timeoutSeconds: 20)
        let runID = Mutex<String?>(nil)
        let run = Task {
            await driver.run(ExecutionRequest(tool: tool)) { event in
                if event.type == .toolStarted { runID.withLock { $0 = event.runID } }
            }
        }
        #expect(await OmegaCLI.poll(timeout: 15) { runID.withLock { $0 } != nil })
        let id = try #require(runID.withLock { $0 })
        let asked = Date()
        #expect(try other.cancel(runID: id))
        let outcome = await run.value
        #expect(outcome.status == .cancelled && outcome.error?.code == .cancelled)
        // Well under the tool's 20 s limit: the request reached the running step through the change feed.
        #expect(Date().timeIntervalSince(asked) < 5)
        #expect(await OmegaCLI.poll(timeout: 2) { OmegaCLI.processes(matching: "sleep 71.7171").isEmpty })
    }

    @Test func answeringWithCredentialsSavesOnlyTheAskedNamesUnderTheInstalledToolsScope() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let folder = Fixture.package(
            in: root, id: "fixture.needs_key",
            script: "cat >/dev/null\n[ -n \"$API_KEY\" ] && echo '{\"ok\":true}'\n",
            env: [["name": "API_KEY", "description": "a key", "required": true, "secret": true]])
        _ = try PackageService(home: service.home).install(folder, trustedKeys: nil, allowUnsigned: true, force: false)
        let paused = await service.run(ExecutionRequest(tool: "fixture.needs_key@1.0.0"))
        #expect(paused.status == .paused && paused.error?.code == .missingEnvVars, "\(paused.json.jsonText)")

        let wrong = await service.answer(runID: paused.runID, with: .approve(principal: "test"))
        #expect(wrong.error?.code == .invalidState)
        #expect(try service.run(id: paused.runID).record.status == .paused)

        let secret = "s3cret-value-0123456789"
        let saved = Mutex<[OmegaError?]>([])
        let answered = await service.answer(
            runID: paused.runID,
            with: .credentials(["API_KEY": secret, "OTHER_TOOLS_KEY": "planted-value-123"], saveInVault: true),
            onSaved: { error in saved.withLock { $0.append(error) } })
        #expect(saved.withLock { $0.count == 1 && $0[0] == nil })
        #expect(answered.succeeded, "\(answered.json.jsonText)")
        let entries = try CredentialService(home: service.home).entries()
        #expect(entries.map(\.name) == ["API_KEY"])
        #expect(entries.first?.scope.description == "tool:fixture.needs_key")
        #expect(!(try service.run(id: paused.runID)).json.jsonText.contains(secret))
    }

    @Test func aPackageNamedByPathCannotSaveCredentialsUnderTheIdItClaims() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        // A folder anyone could write, claiming another tool's id.
        let impostor = Fixture.package(
            in: root, id: "notify.webhook_prepare",
            script: "cat >/dev/null\n[ -n \"$WEBHOOK_SECRET\" ] && echo '{}'\n",
            env: [["name": "WEBHOOK_SECRET", "description": "a key", "required": true, "secret": true]])
        let paused = await service.run(ExecutionRequest(tool: impostor))
        #expect(paused.error?.code == .missingEnvVars)
        let saved = Mutex<[OmegaError?]>([])
        let answered = await service.answer(
            runID: paused.runID, with: .credentials(["WEBHOOK_SECRET": "attacker-chosen-value"], saveInVault: true),
            onSaved: { error in saved.withLock { $0.append(error) } })
        #expect(saved.withLock { $0.first??.code == .invalidInput })
        #expect(answered.succeeded, "the run itself still gets the value it was given")
        #expect(try CredentialService(home: service.home).entries().isEmpty)
    }

    @Test func anAnsweredValueThatCouldNotBeRedactedIsNeitherSavedNorRun() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let folder = Fixture.package(
            in: root, id: "fixture.short_key", script: "cat >/dev/null\necho '{}'\n",
            env: [["name": "API_KEY", "description": "a key", "required": true, "secret": true]])
        _ = try PackageService(home: service.home).install(folder, trustedKeys: nil, allowUnsigned: true, force: false)
        let paused = await service.run(ExecutionRequest(tool: "fixture.short_key@1.0.0"))
        #expect(paused.error?.code == .missingEnvVars)
        let saved = Mutex<[OmegaError?]>([])
        let answered = await service.answer(
            runID: paused.runID, with: .credentials(["API_KEY": "ab"], saveInVault: true),
            onSaved: { error in saved.withLock { $0.append(error) } })
        #expect(saved.withLock { $0.first??.code == .invalidInput })
        #expect(answered.error?.code == .invalidInput, "\(answered.json.jsonText)")
        #expect(try CredentialService(home: service.home).entries().isEmpty)
        #expect(try service.run(id: paused.runID).record.status == .paused)
    }

    @Test func aContractTestRunsEveryExampleAndItsJUnitEscapesHostileNames() async throws {
        let root = Fixture.directory("service")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try Self.service(root)
        let tool = Fixture.package(
            in: root, id: "fixture.contract", script: "cat >/dev/null\necho '{\"ok\":true}'\n",
            output: ["type": "object", "required": ["ok"]],
            examples: [
                ["name": "passes", "input": [:], "output": ["ok": true]],
                ["name": "fails <&\"'>\u{1}", "input": [:], "output": ["ok": false]],
            ])
        let report = try await service.contractTest(tool)
        #expect(report.cases.map(\.name) == ["lint", "passes", "fails <&\"'>\u{1}"])
        #expect(report.cases.map(\.passed) == [true, true, false])
        #expect(!report.passed)
        let xml = JUnitReport.xml(report)
        #expect(xml.contains("name=\"fails &lt;&amp;&quot;&apos;&gt;?\""))
        #expect(xml.contains("tests=\"3\" failures=\"1\""))
        #expect(!xml.contains("\u{1}"))
    }
}
