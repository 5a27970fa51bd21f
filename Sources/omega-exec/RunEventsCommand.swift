import ArgumentParser
import JSON
import RunStorage
import Service
import ToolRuntime

/// `omega-exec runs events ID [--follow]`: a run's timeline, followed through the store's subscription.
struct RunEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print a run's events; --follow waits for new ones until it ends.")
    @Argument(help: "The run id.") var id: String
    @Flag(help: "Keep printing events until the run ends (or pauses).") var follow = false
    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "Only events after this sequence number.") var after: Int64 = 0

    static func line(_ event: RunEvent) -> String {
        let sequence = String(event.sequence).padding(toLength: 4, withPad: " ", startingAt: 0)
        let type = event.type.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
        return "\(sequence) \(RunsCommand.time(event.timestampMs))  \(type) \(event.data.jsonText)"
    }

    func run() async throws {
        let service = try ServiceSession.open()
        let events = try CLIRequestParsing.orExit { () throws(OmegaError) in
            try service.events(runID: id, after: after, follow: follow)
        }
        do {
            for try await event in events {
                CLIOutput.out((json ? event.json.jsonText : Self.line(event)) + "\n")
            }
        } catch {
            throw CLIRequestParsing.exit(with: OmegaError(.internalError, "cannot read events: \(error)"))
        }
    }
}
