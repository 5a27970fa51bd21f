import Foundation
import RunStorage
import Synchronization
import ToolRuntime

/// Shows a run's steps on stderr as they happen (and the elapsed time while the tool runs, on a terminal).
final class RunProgress: Sendable {
    private struct State {
        var toolStartedAt: Date?
        var ticker: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let live: Bool
    private let started = Date()

    /// A progress printer; `live` redraws an elapsed-time line while the tool runs.
    init(live: Bool) { self.live = live }

    /// The observer to hand to the executor.
    var observer: ToolRunner.EventObserver { { [self] event in show(event) } }

    private func elapsed() -> String { String(format: "%7.1f ms", Date().timeIntervalSince(started) * 1000) }

    private func line(_ text: String) {
        let clear = live ? "\r\u{1B}[K" : ""
        Terminal.write(clear + "[\(elapsed())] " + text + "\n")
    }

    private func show(_ event: RunEvent) {
        let data = event.data
        switch event.type {
        case .runCreated:
            line("run \(event.runID): \(data["toolID"]?.stringValue ?? "")@\(data["toolVersion"]?.stringValue ?? "")")
        case .stepStarted:
            line("step \(data["step"]?.stringValue ?? "?")")
        case .policyChecked:
            line(
                "  policy: \(data["decision"]?.stringValue ?? "?")\(data["reason"]?.stringValue.map { " (\($0))" } ?? "")"
            )
        case .approvalRequested:
            line("  approval requested: \(data["reason"]?.stringValue ?? "")")
        case .approvalGranted:
            line("  approved by \(data["approvedBy"]?.stringValue ?? "?")")
        case .credentialsRequested:
            let names = data["missingVars"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            line("  missing credentials: \(names.joined(separator: ", "))")
        case .toolStarted:
            let command = data["command"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? ""
            line("  tool started: \(command)")
            startTicker()
        case .toolOutput:
            stopTicker()
            let text = data["text"]?.stringValue ?? ""
            for row in text.split(separator: "\n", omittingEmptySubsequences: false).suffix(20) where !row.isEmpty {
                Terminal.write("    stderr| \(row)\n")
            }
        case .toolFinished:
            stopTicker()
            let status = data["status"]?.stringValue ?? "?"
            let wall = data["wallMs"]?.doubleValue.map { String(format: "%.1f", $0) } ?? "?"
            let rss = data["maxRssKb"]?.doubleValue.map { String(Int($0)) } ?? "?"
            line(
                "  tool finished: \(status), exit \(data["exitCode"]?.doubleValue.map { String(Int($0)) } ?? "-"), \(wall) ms wall, \(rss) KiB peak"
            )
        case .runPaused:
            line("paused at \(data["step"]?.stringValue ?? "?"): \(data["reason"]?.stringValue ?? "")")
        case .runResumed:
            line("resumed at \(data["step"]?.stringValue ?? "?")")
        case .runCompleted:
            let count = data["artifacts"]?.arrayValue?.count ?? 0
            line("completed\(count > 0 ? " (\(count) artifact\(count == 1 ? "" : "s"))" : "")")
        case .runFailed, .runCancelled:
            stopTicker()
            let error = data["error"]
            line(
                "\(event.type == .runCancelled ? "cancelled" : "failed") at \(data["step"]?.stringValue ?? "?"): "
                    + "\(error?["details"]?["code"]?.stringValue ?? "") \(error?["error"]?.stringValue ?? "")")
        case .runInterrupted, .cancelRequested:
            line(event.type.rawValue)
        }
    }

    private func startTicker() {
        guard live else { return }
        let begin = Date()
        let task = Task.detached {
            while !Task.isCancelled {
                let seconds = Date().timeIntervalSince(begin)
                Terminal.write(String(format: "\r\u{1B}[K  running… %.1f s", seconds))
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        state.withLock {
            $0.ticker?.cancel(); $0.ticker = task
        }
    }

    private func stopTicker() {
        let task = state.withLock { s -> Task<Void, Never>? in
            defer { s.ticker = nil }
            return s.ticker
        }
        if let task {
            task.cancel()
            Terminal.write("\r\u{1B}[K")
        }
    }

    /// Stops the elapsed-time line.
    func finish() { stopTicker() }
}
