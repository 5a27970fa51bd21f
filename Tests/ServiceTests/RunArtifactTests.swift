import Foundation
import JSON
import TestSupport
import Testing
import ToolRuntime

@testable import Service

/// Downloading what a tool left in `/work/out`: exactly the files its result lists, from the run's own
/// folder, never through `..`, an absolute path or a link planted after the run.
@Suite(.serialized) struct RunArtifactTests {
    @Test func onlyListedArtifactsAreReadAndNothingLeadsOutOfTheRunsFolder() async throws {
        let root = Fixture.directory("artifacts")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let service = try OmegaService(configuration: RuntimeConfiguration(home: OmegaHome(root: root + "/home")))
        let tool = Fixture.package(
            in: root, id: "fixture.writer",
            script: """
                cat >/dev/null
                mkdir -p /work/out/sub
                printf 'report\\n' > /work/out/report.txt
                printf 'nested\\n' > /work/out/sub/a.txt
                echo '{"ok":true}'
                """)
        let outcome = await service.run(ExecutionRequest(tool: tool))
        #expect(outcome.succeeded, "\(outcome.json.jsonText)")
        let runID = outcome.runID
        let listed = try service.run(id: runID).record.result?["artifacts"]?.arrayValue?.compactMap {
            $0["path"]?.stringValue
        }
        #expect(Set(listed ?? []) == ["report.txt", "sub/a.txt"])
        #expect(try service.artifact(runID: runID, path: "report.txt") == Array("report\n".utf8))
        #expect(try service.artifact(runID: runID, path: "sub/a.txt") == Array("nested\n".utf8))

        for path in [
            "", "/etc/passwd", "../../runs.sqlite", "sub/../report.txt", "./report.txt", "sub", "sub/", "REPORT.txt",
            "report.txt\0", "%2e%2e/runs.sqlite",
        ] {
            do {
                let bytes = try service.artifact(runID: runID, path: path)
                Issue.record("\(path) read: \(bytes.count) bytes")
            } catch {
                #expect(error.code == .notFound && error.details["field"] == "path", "\(path): \(error.message)")
            }
        }

        // Links swapped in after the run (the file, then the folder) are not followed.
        let folder = service.home.artifactsDirectory(runID: runID)
        try FileManager.default.removeItem(atPath: folder + "/report.txt")
        try FileManager.default.createSymbolicLink(atPath: folder + "/report.txt", withDestinationPath: "/etc/passwd")
        try FileManager.default.removeItem(atPath: folder + "/sub")
        try FileManager.default.createSymbolicLink(atPath: folder + "/sub", withDestinationPath: "/etc")
        for path in ["report.txt", "sub/a.txt"] {
            do {
                let bytes = try service.artifact(runID: runID, path: path)
                Issue.record("\(path) read through a link: \(bytes.count) bytes")
            } catch {
                #expect(error.code == .notFound, "\(path): \(error.message)")
            }
        }
        // An unknown run is INVALID_STATE (the endpoint answers 404 for it, like for a run it may not see).
        #expect(throws: OmegaError.self) { try service.artifact(runID: "run_nope", path: "report.txt") }
    }
}
