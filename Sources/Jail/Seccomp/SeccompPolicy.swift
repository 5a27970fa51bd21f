#if os(Linux)
/// Resolves a seccomp profile by name or path and returns its compiled program, from the memory
/// or disk cache when the profile has not changed.
public enum SeccompPolicy {
    /// The compiled program of `nameOrPath` (`default`, `strict`, or a path to a profile).
    ///
    /// - Throws: `JailError` `INVALID_INPUT` naming `--seccomp` when the profile is missing or
    ///   malformed; `SANDBOX_FAILURE` when it cannot be compiled or cached safely.
    public static func program(named nameOrPath: String) throws(JailError) -> SeccompProgram {
        do {
            let source = try SeccompProfile.readSource(
                nameOrPath: nameOrPath, searchDirectories: JailPaths.seccompSearchDirectories)
            return try SeccompCompiler.compileCached(
                profileBytes: source.bytes, cacheDirectory: JailPaths.cacheDirectory)
        } catch {
            let input = error.code == .profileNotFound || error.code == .profileInvalid
            return try fail(
                JailError(code: input ? .invalidInput : .sandboxFailure, message: "--seccomp: \(error.message)"))
        }
    }

    private static func fail(_ error: JailError) throws(JailError) -> SeccompProgram { throw error }
}
#endif
