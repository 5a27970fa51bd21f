import Manifest

/// What one run carries from step to step while this process drives it. Secrets live only here
/// (in memory), never in the store.
final class RunContext: @unchecked Sendable {
    let runID: String
    let tool: ResolvedTool
    let input: JSONValue
    /// Values the caller gave for declared variables.
    let providedEnv: [String: String]
    let user: String?
    let approvedBy: String?
    let observer: Executor.EventObserver?
    /// The resolved environment (after the credentials step).
    var env: [String: String] = [:]
    /// Where each resolved variable came from (`request` or `vault`).
    var envSources: [String: String] = [:]
    /// Redacts every secret value the run knows.
    var redactor: Redactor
    /// The raw verdict and stdout of the tool (after the execute step).
    var verdict: JSONValue?
    var stdout = ""
    var output: JSONValue?
    var artifacts: [ArtifactRecord] = []
    var refusedArtifacts: [JSONValue] = []
    /// Whether the tool's circuit had no failures when the tool started (a success then changes nothing).
    var healthWasClean = false

    init(
        runID: String, tool: ResolvedTool, input: JSONValue, providedEnv: [String: String], user: String?,
        approvedBy: String?, observer: Executor.EventObserver?
    ) {
        self.runID = runID
        self.tool = tool
        self.input = input
        self.providedEnv = providedEnv
        self.user = user
        self.approvedBy = approvedBy
        self.observer = observer
        let secretNames = Set(tool.manifest.env.filter(\.secret).map(\.name))
        redactor = Redactor(secrets: providedEnv.filter { secretNames.contains($0.key) })
    }

    /// Makes the redactor know the secrets resolved so far.
    func learnSecrets() {
        let secretNames = Set(tool.manifest.env.filter(\.secret).map(\.name))
        redactor = Redactor(secrets: env.merging(providedEnv) { a, _ in a }.filter { secretNames.contains($0.key) })
    }

    /// `value` with every secret of the run (and every well-known credential format) replaced.
    func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(redactor.redact(s))
        case .array(let items): return .array(items.map(redact))
        case .object(let members):
            // Keys too: a tool may use a secret as a key. Keys that collide once redacted keep one value.
            return .object(
                Dictionary(members.map { (redactor.redact($0.key), redact($0.value)) }, uniquingKeysWith: { a, _ in a })
            )
        default: return value
        }
    }
}
