import Foundation
import Jail
import RunStorage

/// At start-up: runs whose process died are marked interrupted and their scratch space removed.
extension ToolRunner {
    /// At start-up: runs whose driving process died become `interrupted`; scratch they left is removed.
    func recover() {
        do {
            let ids = try store.markInterrupted(
                atMs: Self.nowMs(), includePaused: false, isOwnerAlive: ProcessIdentity.isAlive)
            if !ids.isEmpty {
                logger.notice("marked runs interrupted", metadata: ["runs": "\(ids.joined(separator: ","))"])
            }
        } catch {
            logger.error("could not mark interrupted runs", metadata: ["error": "\(error)"])
        }
        let scratch = configuration.home.scratchDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [] {
            let path = scratch + "/" + name
            if name.hasPrefix("out-") {
                let runID = String(name.dropFirst(4))
                let status = (try? store.run(id: runID))?.status
                if status == nil || status!.isFinal || status == .paused {
                    JailOutbox.removeStale(at: path)
                }
            } else if name.hasPrefix("egress-") {
                // The socket folder of a run whose process died mid-run (a live run's is in use).
                let status = (try? store.run(id: String(name.dropFirst(7))))?.status
                if status == nil || status!.isFinal || status == .paused {
                    try? FileManager.default.removeItem(atPath: path)
                }
            } else if name.hasPrefix("pkg-"),
                let pid = name.split(separator: "-").dropFirst().first.flatMap({ Int32($0) }),
                ProcessIdentity.identity(of: pid) == nil
            {
                // A package copy whose process is gone.
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    /// An outcome for a call that could not touch its run (unknown run, wrong state).
    func detached(_ runID: String, _ error: OmegaError, record: RunRecord? = nil) -> ExecutionOutcome {
        ExecutionOutcome(
            runID: runID, status: record?.status ?? .failed, toolID: record?.toolID ?? "",
            toolVersion: record?.toolVersion ?? "", step: record?.step.flatMap(PipelineStep.init) ?? .resolve,
            error: error, artifacts: [])
    }
}
