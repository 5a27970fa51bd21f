import Foundation
import JSON
import Policy
import Registry
import ToolPackage
import SystemCalls
import ToolRuntime

extension RegistryService {
    /// Where a pin is recorded.
    public enum PinLevel: String, Sendable, CaseIterable {
        /// The user's own pins, in the registry (per user name).
        case user
        /// The project policy file (`OMEGA_PROJECT_POLICY`), its `pins` array.
        case project
        /// The workspace policy file (`OMEGA_POLICY`), its `pins` array.
        case workspace
    }

    /// Pins `reference` (`id` or `id@version`) at `level`: searches list it first when it matches.
    ///
    /// - Throws: `INVALID_INPUT` for a malformed reference or a level without a policy file,
    ///   `TOOL_NOT_FOUND` when the registry does not know the tool (or version), `TOOL_UNAVAILABLE`
    ///   for a yanked version, `POLICY_DENIED` when the policy file cannot be read or written.
    public func pin(_ reference: String, level: PinLevel = .user, user: String? = nil) throws(OmegaError) -> Pin {
        _ = try syncLocalTools()
        let parsed: RegistryReference
        do {
            parsed = try RegistryReference.parse(reference)
        } catch {
            throw OmegaError(registry: error)
        }
        if let version = parsed.version,
            let reason = yankList().isYanked(id: parsed.id, version: version.description)
        {
            throw OmegaError(.toolUnavailable, "\(parsed) was yanked: \(reason)", details: ["reason": "yanked"])
        }
        switch level {
        case .user:
            do {
                let pin = try store.pin(user: user ?? Self.localUser, id: parsed.id, version: parsed.version)
                return Pin(id: pin.id, version: pin.version, level: "user", source: Self.storePath(home))
            } catch {
                throw OmegaError(registry: error)
            }
        case .project, .workspace:
            let known: RegistryEntry?
            do {
                known = try store.entry(id: parsed.id, version: parsed.version)
            } catch {
                throw OmegaError(registry: error)
            }
            guard let known else {
                throw OmegaError(
                    .toolNotFound, "the registry has no tool \(parsed) (import an index or install it first)",
                    details: ["field": "reference"])
            }
            if known.isYanked {
                throw OmegaError(.toolUnavailable, "\(parsed) is yanked", details: ["reason": "yanked"])
            }
            let path = try policyPath(level)
            try editPins(at: path) { pins in
                pins.removeAll { $0.id == parsed.id }
                pins.append(PolicyPin(id: parsed.id, version: parsed.version?.description))
            }
            return Pin(id: parsed.id, version: parsed.version, level: level.rawValue, source: path)
        }
    }

    /// Removes the pin of `id` at `level`. Returns whether there was one.
    ///
    /// - Throws: `INVALID_INPUT` for a malformed id or a level without a policy file, `POLICY_DENIED`
    ///   when the policy file cannot be read or written.
    public func unpin(_ id: String, level: PinLevel = .user, user: String? = nil) throws(OmegaError) -> Bool {
        let parsed: RegistryReference
        do {
            parsed = try RegistryReference.parse(id)
        } catch {
            throw OmegaError(registry: error)
        }
        switch level {
        case .user:
            do {
                return try store.unpin(user: user ?? Self.localUser, id: parsed.id)
            } catch {
                throw OmegaError(registry: error)
            }
        case .project, .workspace:
            var removed = false
            try editPins(at: try policyPath(level)) { pins in
                let before = pins.count
                pins.removeAll { $0.id == parsed.id }
                removed = pins.count != before
            }
            return removed
        }
    }

    private func policyPath(_ level: PinLevel) throws(OmegaError) -> String {
        let path = level == .project ? configuration.projectPolicy : configuration.workspacePolicy
        guard let path, !path.isEmpty else {
            let variable = level == .project ? "OMEGA_PROJECT_POLICY" : "OMEGA_POLICY"
            throw OmegaError(
                .invalidInput, "level: no \(level.rawValue) policy file is configured (set \(variable))",
                details: ["field": "level"])
        }
        return path
    }

    /// Rewrites the `pins` array of the policy file at `path` (creating the file when missing), keeping
    /// every other field as it was; the file is checked as a policy before and after.
    private func editPins(at path: String, _ change: (inout [PolicyPin]) -> Void) throws(OmegaError) {
        var document: [String: JSONValue] = ["policyVersion": .integer(PolicyFile.currentVersion)]
        var pins: [PolicyPin] = []
        do {
            if let file = try PolicyLoader().loadFile(at: path) {
                pins = file.pins
                let text = try String(contentsOfFile: path, encoding: .utf8)
                if case .object(let members) = try JSONParser().parse(text) { document = members }
            }
        } catch {
            throw OmegaError(.policyDenied, "cannot read the policy file \(path): \(error)")
        }
        change(&pins)
        document["pins"] = .array(pins.map { .string($0.description) })
        let text = JSONValue.object(document).prettyText + "\n"
        do {
            _ = try PolicyFile(parsing: text, path: path)
        } catch {
            throw OmegaError(.policyDenied, "cannot write the policy file \(path): \(error)")
        }
        // A fresh temporary file beside it (never through a link planted at its name, never left behind),
        // with the file's own permissions (the umask may only narrow them), flushed, then renamed over it.
        let permissions = (try? SystemCall.fileStatus(path))?.permissions ?? 0o644
        let temporary = path + ".tmp-\(getpid())-\(SystemCall.monotonicNanoseconds())"
        do {
            let fd = try SystemCall.open(
                temporary, [.writeOnly, .create, .exclusive, .noFollow], permissions: permissions & 0o777)
            defer { SystemCall.close(fd) }
            try Array(text.utf8).withUnsafeBytes { buffer in
                try SystemCall.writeAll(fd, buffer, step: "write \(temporary)")
            }
            try SystemCall.synchronize(fd, step: "fsync \(temporary)")
            try SystemCall.rename(temporary, to: path)
        } catch {
            try? SystemCall.unlink(temporary)
            throw OmegaError(.policyDenied, "cannot write the policy file \(path): \(error)")
        }
    }
}
