import Credentials
import EgressProxy
import JSON
import Policy

/// What one run carries from step to step while this process drives it. Secrets live only here
/// (in memory), never in the store.
final class RunContext: @unchecked Sendable {
    let runID: String
    let tool: ResolvedTool
    let input: JSONValue
    /// SHA-256 of the canonical input, computed once for the store, the tool run and the events.
    let inputDigest: String
    /// Values the caller gave for declared variables.
    let providedEnv: [String: String]
    let user: String?
    let approvedBy: String?
    /// Whether an approval granted by `approvedBy` is recorded for later calls (false for harnesses).
    var keepsApproval = true
    let observer: ToolRunner.EventObserver?
    /// The resolved environment (after the credentials step).
    var env: [String: String] = [:]
    /// Where each resolved variable came from (`request` or `vault`).
    var envSources: [String: String] = [:]
    /// Redacts every secret value the run knows.
    var redactor: Redactor
    /// The raw verdict and stdout of the tool (after the execute step).
    var verdict: JSONValue?
    var stdout = ""
    /// stdout parsed once, by the execute step, for the verdict and the output step.
    var stdoutDocument: Result<JSONValue, JSONParser.Error>?
    var output: JSONValue?
    var artifacts: [ArtifactRecord] = []
    var refusedArtifacts: [JSONValue] = []
    /// The circuit breaker's key: the tool id and version bound to the exact package, so a look-alike
    /// package claiming the id cannot open (or close) the real tool's circuit.
    var breakerKey: String {
        "\(tool.manifest.id)@\(tool.manifest.version)#\(tool.packageDigest.prefix(16))"
    }
    /// The run's socket on the egress proxy while its tool runs (DESIGN §11).
    var egressSession: EgressSession?
    /// Writes the session's connection records as events, in order.
    var egressRecorder: EgressRecorder?
    /// Whether the tool's circuit had no failures when the tool started (a success then changes nothing).
    var healthWasClean = false

    init(
        runID: String, tool: ResolvedTool, input: JSONValue, providedEnv: [String: String], user: String?,
        approvedBy: String?, observer: ToolRunner.EventObserver?
    ) {
        self.runID = runID
        self.tool = tool
        self.input = input
        self.inputDigest = Approval.digest(of: input)
        self.providedEnv = providedEnv
        self.user = user
        self.approvedBy = approvedBy
        self.observer = observer
        let secretNames = Set(tool.manifest.env.filter(\.secret).map(\.name))
        redactor = Redactor(secrets: providedEnv.filter { secretNames.contains($0.key) })
    }

    /// Makes the redactor know the secrets resolved so far: values of variables the manifest marks
    /// secret, and every value that came from the vault whatever the manifest says (a package cannot
    /// opt a stored credential out of redaction).
    func learnSecrets() {
        let secretNames = Set(tool.manifest.env.filter(\.secret).map(\.name))
        redactor = Redactor(
            secrets: env.merging(providedEnv) { a, _ in a }.filter {
                secretNames.contains($0.key) || envSources[$0.key] == "vault"
            })
    }

    /// `value` with every secret of the run (and every well-known credential format) replaced.
    func redact(_ value: JSONValue) -> JSONValue { redactor.redact(json: value) }
}
