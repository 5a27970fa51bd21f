import Foundation
import Registry
import ToolPackage
import ToolRuntime

extension RegistryService {
    /// Whether `text` names a registry tool (`id` or `id@version`) rather than a package path.
    public static func isRegistryReference(_ text: String) -> Bool {
        !text.contains("/") && !text.hasSuffix(".tar.gz") && !text.hasSuffix(".tgz")
            && (try? RegistryReference.parse(text)) != nil
    }

    /// Installs the registry's `id[@version]` (the newest not yanked when no version) from its
    /// `package.source`, a local folder or `.tar.gz` (absolute, `file://`, or relative to the
    /// current directory). The package must have the `package.digest` the index published — checked
    /// on the source, then again (with the manifest's id and version) on the installer's staged copy
    /// before anything is moved into place — and pass every check of
    /// ``PackageService/install(_:trustedKeys:allowUnsigned:force:expected:)`` (signature against the
    /// trusted keys, yank list, lint).
    ///
    /// - Throws: `TOOL_NOT_FOUND` (unknown tool or version), `TOOL_UNAVAILABLE` (yanked, no package
    ///   source, or a source that is not a local path), `INVALID_MANIFEST` with reason
    ///   `PACKAGE_DIGEST_MISMATCH`, or the ``PackageError`` of the install.
    public func install(
        _ reference: String, trustedKeys: String?, allowUnsigned: Bool, force: Bool
    ) throws -> PackageInstaller.Installation {
        let parsed: RegistryReference
        do {
            parsed = try RegistryReference.parse(reference)
        } catch {
            throw OmegaError(registry: error)
        }
        _ = try syncLocalTools()
        let yanks = yankList()
        let entry: RegistryEntry?
        do {
            entry = try store.entry(id: parsed.id, version: parsed.version) { yanks.isYanked(id: $0, version: $1.description) != nil }
        } catch {
            throw OmegaError(registry: error)
        }
        guard let entry else {
            throw OmegaError(
                .toolNotFound, "the registry has no tool \(parsed) (see omega-exec search, or import an index)",
                details: ["reference": .string(reference)])
        }
        if let reason = entry.yanked ?? yanks.isYanked(id: entry.id, version: entry.version.description) {
            throw OmegaError(
                .toolUnavailable, "\(entry.id)@\(entry.version) is yanked: \(reason)", details: ["reason": "yanked"])
        }
        guard let package = entry.package else {
            throw OmegaError(
                .toolUnavailable, "\(entry.id)@\(entry.version) has no package.source in its index entry",
                details: ["reason": "no_package_source"])
        }
        var source = package.source
        if source.hasPrefix("file://") { source = String(source.dropFirst("file://".count)) }
        guard !source.contains("://") else {
            throw OmegaError(
                .toolUnavailable,
                "\(entry.id)@\(entry.version): only local package sources are installed here, not \(package.source)",
                details: ["reason": "remote_package_source"])
        }
        source = URL(fileURLWithPath: source).standardizedFileURL.path
        let expected = package.digest
        let found = "sha256:" + (try PackageVerifier(trustedKeys: TrustedKeys(), allowUnsigned: true).verify(source))
            .digest.digest
        guard found == expected else { throw Self.digestMismatch(entry, expected: expected, found: found) }
        // Checked again on the installer's staged copy, before anything is moved into place: a source
        // swapped since the check above, or a digest that belongs to another tool's package, never
        // replaces (nor, once refused, removes) an installed package.
        let installation: PackageInstaller.Installation
        do {
            installation = try PackageService(home: home).install(
                source, trustedKeys: trustedKeys, allowUnsigned: allowUnsigned, force: force,
                expected: .init(
                    digest: String(expected.dropFirst("sha256:".count)), id: entry.id, version: entry.version))
        } catch {
            guard error.code == .digestMismatch else { throw error }
            throw OmegaError(
                .invalidManifest,
                "the package of \(entry.id)@\(entry.version) is not the one its index entry published: "
                    + error.message,
                details: ["reason": "PACKAGE_DIGEST_MISMATCH", "expected": .string(expected)])
        }
        state.withLock { $0 = State() }
        _ = try syncLocalTools()
        return installation
    }

    private static func digestMismatch(_ entry: RegistryEntry, expected: String, found: String) -> OmegaError {
        OmegaError(
            .invalidManifest,
            "the package of \(entry.id)@\(entry.version) has digest \(found), the index published \(expected)",
            details: ["reason": "PACKAGE_DIGEST_MISMATCH", "expected": .string(expected), "found": .string(found)])
    }
}
