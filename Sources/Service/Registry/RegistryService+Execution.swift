import Registry
import ToolRuntime

extension RegistryService {
    /// What the tool runner should run for the registry reference `id[@version]`: the reference
    /// itself when the tool is installed (the runner resolves installed packages), the shipped folder
    /// when the version that stands for it is a starter tool that is not installed, so agents can run
    /// the starter tools on a fresh machine. Tools only described by an index stay as named (the
    /// runner answers `TOOL_NOT_FOUND`: install them first).
    ///
    /// - Throws: `INVALID_INPUT` naming `toolId` when `reference` is not a registry reference (a path
    ///   or an archive: callers over the network may name only registry tools).
    public func executionReference(_ reference: String) throws(OmegaError) -> String {
        guard Self.isRegistryReference(reference), let parsed = try? RegistryReference.parse(reference) else {
            throw OmegaError(
                .invalidInput, "toolId: expected a registry tool id (id or id@version), got '\(reference.prefix(128))'",
                details: ["field": "toolId"])
        }
        _ = try? syncLocalTools()
        guard let entry = try? store.entry(id: parsed.id, version: parsed.version), entry.origin == .starter,
            let folder = entry.package?.source
        else { return reference }
        return folder
    }
}
