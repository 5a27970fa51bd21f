import Foundation
import Jail

/// Copies what a tool left in `/work/out` into the run's artifacts folder without following
/// anything (the outbox's own walk), renames files whose names hold a secret, redacts secret
/// values from their bytes, and records each file's size and SHA-256 on the context (refused files
/// with the reason).
struct ArtifactCollector {
    let configuration: RuntimeConfiguration

    func collect(_ context: RunContext, outbox: JailOutbox) {
        // Most tools leave nothing: then there is nothing to walk, create or hash.
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: outbox.path), entries.isEmpty { return }
        let destination = configuration.home.artifactsDirectory(runID: context.runID)
        let found: [JailArtifact]
        do {
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            found = try outbox.collect(
                into: destination, maxBytes: configuration.artifactCapacityBytes, maxFiles: configuration.maxArtifacts)
        } catch {
            context.refusedArtifacts.append(["path": "", "reason": .string("collecting failed: \(error)")])
            return
        }
        if found.isEmpty {
            try? FileManager.default.removeItem(atPath: (destination as NSString).deletingLastPathComponent)
            return
        }
        for item in found {
            switch item.status {
            case .copied:
                var path = destination + "/" + item.path
                var redacted = false
                // A name that holds a secret is renamed on disk, not only in the record.
                let keptName = context.redactor.redact(item.path)
                if keptName != item.path {
                    let renamed = destination + "/" + keptName.replacingOccurrences(of: "/", with: "_")
                    if (try? FileManager.default.moveItem(atPath: path, toPath: renamed)) != nil {
                        path = renamed
                    } else {
                        try? FileManager.default.removeItem(atPath: path)
                        context.refusedArtifacts.append([
                            "path": .string(keptName), "reason": "its name holds a secret",
                        ])
                        continue
                    }
                    redacted = true
                }
                if var data = FileManager.default.contents(atPath: path) {
                    // Bytes, not text: binary files are searched for secret values too.
                    if let clean = context.redactor.redactSecretValues(in: Array(data)) {
                        data = Data(clean)
                        try? data.write(to: URL(fileURLWithPath: path))
                        redacted = true
                    } else if let text = String(data: data, encoding: .utf8), context.redactor.containsSecret(text) {
                        data = Data(context.redactor.redact(text).utf8)
                        try? data.write(to: URL(fileURLWithPath: path))
                        redacted = true
                    }
                    context.artifacts.append(
                        ArtifactRecord(
                            path: String(path.dropFirst(destination.count + 1)), bytes: UInt64(data.count),
                            sha256: ArtifactDigest.sha256(data), redacted: redacted))
                }
            case .refused(let reason):
                context.refusedArtifacts.append([
                    "path": .string(context.redactor.redact(item.path)), "reason": .string(reason),
                ])
            case .skippedOverLimit:
                context.refusedArtifacts.append(
                    ["path": .string(context.redactor.redact(item.path)), "reason": "over the artifact limits"])
            }
        }
    }
}
