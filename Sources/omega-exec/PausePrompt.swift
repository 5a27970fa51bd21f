import Service
import ToolRuntime

/// Asks the human on the terminal what a paused run needs: an approval (showing tool, scopes, risk
/// and the input and package digests) or the missing credentials (hidden input, offered for the vault).
enum PausePrompt {
    /// The answer, or nil when the human declines (or the pause is not one a human answers).
    static func ask(_ outcome: ExecutionOutcome) -> PauseAnswer? {
        guard let error = outcome.error else { return nil }
        let details = error.details
        switch error.code {
        case .approvalRequired:
            let scopes = details["scopes"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? ""
            let writes = details["externalWrite"]?.boolValue == true ? " (writes outside the jail)" : ""
            Terminal.write(
                """

                Approval needed for \(details["toolId"]?.stringValue ?? outcome.toolID)@\(details["toolVersion"]?.stringValue ?? outcome.toolVersion)
                  reason:       \(details["reason"]?.stringValue ?? "")
                  scopes:       \(scopes)
                  risk:         \(details["risk"]?.stringValue ?? "")\(writes)
                  input digest: sha256:\(details["inputDigest"]?.stringValue ?? "")
                  package:      sha256:\(details["packageDigest"]?.stringValue ?? "")

                """)
            guard Terminal.confirm("Approve this exact call?") else { return nil }
            return .approve(principal: CLIRequestParsing.approver)
        case .missingEnvVars:
            var values: [String: String] = [:]
            Terminal.write("\nThe tool needs credentials (input is hidden):\n")
            for variable in details["missingVars"]?.arrayValue ?? [] {
                guard let name = variable["name"]?.stringValue else { continue }
                let description = variable["description"]?.stringValue ?? ""
                guard let value = Terminal.readLine(prompt: "  \(name) (\(description)): ", hidden: true),
                    !value.isEmpty
                else { return nil }
                values[name] = value
            }
            let save = Terminal.confirm(
                "Save \(values.count == 1 ? "it" : "them") in the vault for \(outcome.toolID)?")
            return .credentials(values, saveInVault: save)
        default:
            return nil
        }
    }
}
