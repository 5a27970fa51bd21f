import JSON
import RunStorage
import SystemCalls
import ToolRuntime

/// Reading what a run's tool left in `/work/out`: only the files its result lists, only below the
/// run's artifacts folder, never through a symbolic link.
extension OmegaService {
    /// The most bytes one artifact read returns (the pipeline keeps at most 64 MiB per run).
    public static let maximumArtifactBytes = 64 << 20

    /// The bytes of the artifact `path` of run `runID`.
    ///
    /// `path` must be exactly one of the `path`s the run's result lists (as the collector recorded them,
    /// redacted names included); each folder on the way is opened with `O_NOFOLLOW | O_DIRECTORY`
    /// relative to the one before and the file with `O_NOFOLLOW`, so neither a `..` nor a link swapped in
    /// later leads outside the run's artifacts folder.
    ///
    /// - Throws: `NOT_FOUND` (field `path`) when the run lists no such artifact or its file is gone or
    ///   not a regular file; `INVALID_STATE` for an unknown run; `INTERNAL_ERROR` when reading fails.
    public func artifact(runID: String, path: String) throws(OmegaError) -> [UInt8] {
        let detail = try run(id: runID)
        let notFound = OmegaError(
            .notFound, "run \(runID) has no artifact \"\(OmegaError.shown(path))\"", details: ["field": "path"])
        let listed = detail.record.result?["artifacts"]?.arrayValue ?? []
        guard listed.contains(where: { $0["path"]?.stringValue == path }) else { throw notFound }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty,
            components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.utf8.contains(0) })
        else { throw notFound }
        let bytes: [UInt8]?
        do throws(SystemCallError) {
            bytes = try readBelow(home.artifactsDirectory(runID: runID), components)
        } catch {
            if [.noEntry, .tooManyLinks, .notDirectory].contains(error.errno) { throw notFound }
            throw OmegaError(.internalError, "cannot read the artifact: \(error)")
        }
        guard let bytes else { throw notFound }
        guard bytes.count <= Self.maximumArtifactBytes else {
            throw OmegaError(.internalError, "the artifact is larger than \(Self.maximumArtifactBytes) bytes")
        }
        return bytes
    }

    /// The file `components` below `root`, each step opened relative to the one before without
    /// following a link; nil when it is not a regular file. Reads at most one byte over the maximum.
    private func readBelow(_ root: String, _ components: [String]) throws(SystemCallError) -> [UInt8]? {
        var directory = try SystemCall.open(root, [.directory, .noFollow], step: "open the artifacts folder")
        defer { SystemCall.close(directory) }
        for folder in components.dropLast() {
            let next = try SystemCall.open(at: directory, folder, [.directory, .noFollow])
            SystemCall.close(directory)
            directory = next
        }
        let fd = try SystemCall.open(at: directory, components[components.count - 1], [.noFollow, .nonBlocking])
        defer { SystemCall.close(fd) }
        guard try SystemCall.fileStatus(fd).kind == .regular else { return nil }
        return try SystemCall.readAll(fd, upTo: Self.maximumArtifactBytes + 1, step: "read the artifact")
    }
}
