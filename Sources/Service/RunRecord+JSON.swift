import JSON
import RunStorage

extension RunRecord {
    /// The wire form of a run (`runs list --json`, `runs show --json`, the HTTP run resource).
    public var json: JSONValue {
        [
            "id": .string(id), "toolId": .string(toolID), "toolVersion": .string(toolVersion),
            "status": .string(status.rawValue), "step": step.map { .string($0) } ?? .null,
            "createdAt": .integer(createdAtMs), "updatedAt": .integer(updatedAtMs),
            "toolReference": .string(toolReference), "packageDigest": .string(packageDigest),
            "inputDigest": .string(inputDigest), "input": input, "result": result ?? .null,
            "replayOf": replayOf.map { .string($0) } ?? .null, "user": .string(user ?? "local"),
        ]
    }

    /// The run without its input and result (a row of a runs list; `GET /api/runs`).
    public var summaryJSON: JSONValue {
        [
            "id": .string(id), "toolId": .string(toolID), "toolVersion": .string(toolVersion),
            "status": .string(status.rawValue), "step": step.map { .string($0) } ?? .null,
            "createdAt": .integer(createdAtMs), "updatedAt": .integer(updatedAtMs),
            "replayOf": replayOf.map { .string($0) } ?? .null, "user": .string(user ?? "local"),
        ]
    }
}

extension RunEvent {
    /// The wire form of an event (`runs events --json`, SSE `data:`, MCP progress).
    public var json: JSONValue {
        [
            "runId": .string(runID), "sequence": .integer(sequence), "type": .string(type.rawValue),
            "timestamp": .integer(timestampMs), "data": data,
        ]
    }
}

extension ToolRunRecord {
    /// The wire form of one tool execution.
    public var json: JSONValue {
        [
            "attempt": .integer(attempt), "status": .string(status),
            "exitCode": exitCode.map { .integer(Int64($0)) } ?? .null,
            "signal": signal.map { .integer(Int64($0)) } ?? .null, "wallMs": .number(wallMs),
            "cpuMs": .number(cpuMs), "maxRssKb": .integer(maxRssKb),
        ]
    }
}
