import Audit
import Conversations
import JSON
import RunStorage
import Service

/// Writes what conversations do to the audit log (tool calls, credentials stored, a model's key read;
/// names and ids, never values) and counts their runs in the metrics.
public struct ConversationAudit: ConversationObserver {
    let audit: AuditQueue
    let metrics: EndpointMetrics

    public init(audit: AuditQueue, metrics: EndpointMetrics) {
        self.audit = audit
        self.metrics = metrics
    }

    public func toolCallEnded(conversationID: String, caller: String, owner: String, fields: [String: JSONValue]) {
        var fields = fields
        fields["conversationId"] = .string(conversationID)
        fields["credentialsOf"] = .string(owner)
        audit.submit(.toolCall, actor: AuditActor(user: caller), fields: fields)
        if let status = fields["status"]?.stringValue.flatMap(RunStatus.init(rawValue:)), fields["runId"] != nil {
            metrics.runEnded(status: status, toolID: fields["toolId"]?.stringValue ?? "unknown")
        }
    }

    public func credentialsStored(conversationID: String, caller: String, owner: String, names: [String], saved: Bool) {
        audit.submit(
            .credentialStore, actor: AuditActor(user: caller),
            fields: [
                "conversationId": .string(conversationID), "scope": .string("user:" + owner),
                "names": .array(names.map(JSONValue.string)), "saved": .bool(saved),
            ])
    }

    public func modelKeyRead(conversationID: String, owner: String, name: String) {
        audit.submit(
            .credentialAccess, actor: AuditActor(user: owner),
            fields: ["conversationId": .string(conversationID), "name": .string(name), "purpose": "model"])
    }
}
