import Foundation
import JSON
import RunStorage
import Service
import Synchronization

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
    var observer: OmegaService.EventObserver { { [self] event in show(event) } }

    private func elapsed() -> String { String(format: "%7.1f ms", Date().timeIntervalSince(started) * 1000) }

    private func line(_ text: String) {
        let clear = live ? "\r\u{1B}[K" : ""
        Terminal.write(clear + "[\(elapsed())] " + text + "\n")
    }

    private func show(_ event: RunEvent) {
        guard let payload = event.payload else { return line(event.type.rawValue) }
        switch payload {
        case .runCreated(let toolID, let toolVersion, _, _):
            line("run \(event.runID): \(toolID)@\(toolVersion)")
        case .stepStarted(let step):
            line("step \(step)")
        case .policyChecked(let decision, let reason, _, _):
            line("  policy: \(decision)\(reason.map { " (\($0))" } ?? "")")
        case .approvalRequested(let details):
            line("  approval requested: \(details["reason"]?.stringValue ?? "")")
        case .approvalGranted(let approvedBy, _, _, _, _, _):
            line("  approved by \(approvedBy)")
        case .credentialsRequested(let missing):
            line("  missing credentials: \(missing.map(\.name).joined(separator: ", "))")
        case .toolStarted(let command, _, _):
            line("  tool started: \(command.joined(separator: " "))")
            startTicker()
        case .toolOutput(_, let text, _):
            stopTicker()
            for row in text.split(separator: "\n", omittingEmptySubsequences: false).suffix(20) where !row.isEmpty {
                Terminal.write("    stderr| \(row)\n")
            }
        case .toolFinished(let verdict):
            stopTicker()
            let wall = verdict["wallMs"]?.doubleValue.map { String(format: "%.1f", $0) } ?? "?"
            let rss = verdict["maxRssKb"]?.doubleValue.map { String(Int($0)) } ?? "?"
            let exit = verdict["exitCode"]?.doubleValue.map { String(Int($0)) } ?? "-"
            line(
                "  tool finished: \(verdict["status"]?.stringValue ?? "?"), exit \(exit), \(wall) ms wall, \(rss) KiB peak"
            )
        case .runPaused(let step, let reason, _):
            line("paused at \(step): \(reason)")
        case .runResumed(let step, _, _):
            line("resumed at \(step)")
        case .runCompleted(_, let artifacts, _):
            let count = artifacts.count
            line("completed\(count > 0 ? " (\(count) artifact\(count == 1 ? "" : "s"))" : "")")
        case .runFailed(let step, let error), .runCancelled(let step, let error):
            stopTicker()
            line(
                "\(event.type == .runCancelled ? "cancelled" : "failed") at \(step): "
                    + "\(error["details"]?["code"]?.stringValue ?? "") \(error["error"]?.stringValue ?? "")")
        case .runInterrupted, .cancelRequested:
            line(event.type.rawValue)
        case .egressConnection(let record):
            line("  egress: " + Self.egressLine(record))
        }
    }

    /// `CONNECT docs.example.org:443 allowed (closed), 1.2 KiB up, 48.0 KiB down` or
    /// `CONNECT 10.0.0.1:443 refused (ip_literal)`.
    static func egressLine(_ record: [String: JSONValue]) -> String {
        func text(_ key: String) -> String { record[key]?.stringValue ?? "" }
        func bytes(_ key: String) -> String {
            let value = record[key]?.doubleValue ?? 0
            return value < 1024 ? "\(Int(value)) B" : String(format: "%.1f KiB", value / 1024)
        }
        let port = record["port"]?.doubleValue.map { String(Int($0)) } ?? "?"
        var reason = text("reason")
        if let refusal = record["addressRefusal"]?.stringValue { reason += ": \(text("address")) is \(refusal)" }
        let head = "\(text("method")) \(text("host")):\(port) \(text("verdict")) (\(reason))"
        return text("verdict") == "allowed" ? head + ", \(bytes("bytesUp")) up, \(bytes("bytesDown")) down" : head
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
