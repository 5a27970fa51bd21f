import Foundation
import Policy
import ToolPackage

/// Finds the tool a call names: a package folder, a package `.tar.gz`, or an installed
/// `id[@version]` (the highest installed version that is not yanked when no version is given).
///
/// Every package is verified as it is resolved: a folder or archive must verify against the trusted
/// keys when it carries a signature (a tampered signed package is refused) and may be unsigned (it
/// is the caller's own, named by path); an installed package was verified at install time and its
/// files are checked again against its recorded description. A yanked version is refused with
/// `TOOL_UNAVAILABLE`. Only `sandbox_job` tools run in this appliance.
public struct ToolResolver: Sendable {
    /// The appliance's home (installed packages, trusted keys, yank list, scratch space).
    public var home: OmegaHome
    /// Whether callers may name packages by path (the CLI may; a network endpoint should not).
    public var allowPaths: Bool

    /// A resolver.
    ///
    /// - Parameters:
    ///   - home: The appliance's home.
    ///   - allowPaths: Whether folders and archives may be named by path.
    public init(home: OmegaHome, allowPaths: Bool = true) {
        self.home = home
        self.allowPaths = allowPaths
    }

    /// Resolves `reference`.
    ///
    /// - Parameters:
    ///   - reference: A folder, a `.tar.gz`, or `id[@version]`.
    ///   - expectedDigest: When resuming or replaying, the package description the run recorded; a
    ///     different package is refused (`TOOL_NOT_FOUND`), so a run never continues with other code.
    /// - Throws: `TOOL_NOT_FOUND`, `TOOL_UNAVAILABLE` (yanked, or a binding not served here) or
    ///   `INVALID_MANIFEST` (malformed manifest, bad signature, hostile archive).
    public func resolve(_ reference: String, expectedDigest: String? = nil) throws(OmegaError) -> ResolvedTool {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw OmegaError(.toolNotFound, "no tool named (expected a folder, a .tar.gz or id[@version])")
        }
        let tool: ResolvedTool
        if looksLikePath(trimmed) {
            guard allowPaths else {
                throw OmegaError(.toolNotFound, "tools are named by installed id here, not by path: \(trimmed)")
            }
            tool = try resolvePath(trimmed)
        } else {
            tool = try resolveInstalled(trimmed)
        }
        if let expectedDigest, !expectedDigest.isEmpty, expectedDigest != tool.packageDigest {
            tool.release()
            throw OmegaError(
                .toolNotFound,
                "the package at \(tool.reference) changed since the run was recorded (package digest \(tool.packageDigest.prefix(12))…, recorded \(expectedDigest.prefix(12))…)",
                details: ["reference": .string(tool.reference)])
        }
        if let reason = yankList().isYanked(id: tool.manifest.id, version: tool.manifest.version.description) {
            tool.release()
            throw OmegaError(
                .toolUnavailable, "\(tool.manifest.id)@\(tool.manifest.version) was yanked: \(reason)",
                details: ["reason": "yanked"])
        }
        guard case .sandboxJob = tool.manifest.execution else {
            let binding = tool.manifest.execution.binding
            tool.release()
            throw OmegaError(
                .toolUnavailable,
                "\(tool.manifest.id) uses the \(binding) binding, which this appliance does not serve",
                details: ["reason": "unsupported_binding", "binding": .string(binding)])
        }
        return tool
    }

    private func looksLikePath(_ text: String) -> Bool {
        text.hasPrefix("/") || text.hasPrefix(".") || text.contains("/") || text.hasSuffix(".tar.gz")
            || text.hasSuffix(".tgz")
    }

    private func yankList() -> YankList { (try? YankList.load(path: home.yankListPath)) ?? YankList() }

    private func trustedKeys() throws(OmegaError) -> TrustedKeys {
        do {
            return try TrustedKeys.load(path: home.trustedKeysPath)
        } catch {
            throw OmegaError(.invalidManifest, "cannot read the trusted keys: \(error)")
        }
    }

    private func resolvePath(_ path: String) throws(OmegaError) -> ResolvedTool {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw OmegaError(.toolNotFound, "no package at \(absolute)", details: ["reference": .string(path)])
        }
        if isDirectory.boolValue {
            var manifestIsDirectory: ObjCBool = false
            guard
                FileManager.default.fileExists(
                    atPath: absolute + "/" + ToolManifest.fileName, isDirectory: &manifestIsDirectory),
                !manifestIsDirectory.boolValue
            else {
                throw OmegaError(
                    .toolNotFound, "\(absolute) is not a package (no \(ToolManifest.fileName))",
                    details: ["reference": .string(path)])
            }
        }
        // Folders and archives are both unpacked into a private copy that is verified and then mounted:
        // what runs is exactly what was hashed, whatever happens to the original meanwhile. The copy is
        // traversable (0711, files 0644/0755) by the jail's unprivileged id.
        let scratch = home.scratchDirectory + "/pkg-\(getpid())-" + Self.randomSuffix()
        do {
            try FileManager.default.createDirectory(
                atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
            try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: scratch)
            if isDirectory.boolValue {
                try PackageFolderCopy.copy(folder: absolute, to: scratch + "/package", durable: false)
            } else {
                try PackageExtractor().extract(archive: absolute, into: scratch + "/package")
            }
        } catch let error as OmegaError {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        } catch let error as PackageError {
            try? FileManager.default.removeItem(atPath: scratch)
            throw OmegaError(
                .invalidManifest, "cannot unpack \(absolute): \(error)",
                details: ["packageCode": .string(error.code.rawValue)])
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw OmegaError(.internalError, "cannot unpack \(absolute): \(error)")
        }
        do {
            return try load(folder: scratch + "/package", reference: absolute, temporary: scratch)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
    }

    private func resolveInstalled(_ text: String) throws(OmegaError) -> ResolvedTool {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        let id = parts[0]
        guard PolicyToolGlob.isValidToolID(id) else {
            throw OmegaError(
                .toolNotFound, "\"\(text)\" is neither a package path nor an installed tool id (dotted lowercase name)")
        }
        let base = home.packagesDirectory + "/" + id
        let installed = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap { SemanticVersion($0) }
        let version: SemanticVersion
        if parts.count == 2 {
            guard let wanted = SemanticVersion(parts[1]) else {
                throw OmegaError(.toolNotFound, "\"\(parts[1])\" is not a semantic version (expected e.g. 1.2.0)")
            }
            guard let match = installed.first(where: { $0 == wanted }) else {
                throw OmegaError(
                    .toolNotFound,
                    "\(id)@\(wanted) is not installed"
                        + (installed.isEmpty
                            ? "" : " (installed: \(installed.sorted().map(\.description).joined(separator: ", ")))"),
                    details: ["reference": .string(text)])
            }
            version = match
        } else {
            let yanks = yankList()
            guard let best = installed.filter({ yanks.isYanked(id: id, version: $0.description) == nil }).max() else {
                throw OmegaError(.toolNotFound, "\(id) is not installed", details: ["reference": .string(text)])
            }
            version = best
        }
        return try load(
            folder: base + "/" + version.description, reference: "\(id)@\(version)", temporary: nil,
            expectedID: id)
    }

    private func load(folder: String, reference: String, temporary: String?, expectedID: String? = nil)
        throws(OmegaError) -> ResolvedTool
    {
        let manifest: ToolManifest
        let verification: PackageVerifier.Verification
        do {
            let text = try String(contentsOfFile: folder + "/" + ToolManifest.fileName, encoding: .utf8)
            manifest = try ToolManifest.decode(text: text, file: ToolManifest.fileName)
        } catch let error as ManifestError {
            throw OmegaError(.invalidManifest, "\(reference): \(error)")
        } catch {
            throw OmegaError(
                .toolNotFound, "\(reference) has no readable \(ToolManifest.fileName)",
                details: ["reference": .string(reference)])
        }
        if let expectedID, manifest.id != expectedID {
            throw OmegaError(.invalidManifest, "\(folder) holds \(manifest.id), not \(expectedID)")
        }
        do {
            verification = try PackageVerifier(trustedKeys: try trustedKeys(), allowUnsigned: true).verify(
                folder: folder)
        } catch let error as PackageError {
            throw OmegaError(
                .invalidManifest, "\(reference) does not verify: \(error)",
                details: ["packageCode": .string(error.code.rawValue)])
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "\(reference): \(error)")
        }
        return ResolvedTool(
            manifest: manifest, directory: folder, reference: reference, packageDigest: verification.digest.digest,
            signer: verification.signer?.keyId, temporary: temporary)
    }

    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36)
    }
}
