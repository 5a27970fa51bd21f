#if os(Linux)
import SystemCalls

/// Where the jail finds its policies and keeps its caches.
///
/// `OMEGA_HOME` (default `/var/lib/omega-exec` as root, else `~/.local/share/omega-exec`) holds
/// state; compiled seccomp programs are cached in `<OMEGA_HOME>/cache`.
public enum JailPaths {
    /// The appliance's home directory.
    public static var home: String {
        if let value = environment("OMEGA_HOME"), !value.isEmpty { return value }
        if SystemCall.effectiveUserID == 0 { return "/var/lib/omega-exec" }
        if let data = environment("XDG_DATA_HOME"), data.hasPrefix("/") { return data + "/omega-exec" }
        return (environment("HOME") ?? "/tmp") + "/.local/share/omega-exec"
    }

    /// Where compiled seccomp programs are cached.
    public static var cacheDirectory: String { home + "/cache" }

    /// Directories searched for `<name>.json` seccomp profiles, in order: `$OMEGA_SECCOMP_DIR`, a
    /// `Policies/seccomp` folder above the executable (a source checkout), `share/omega-exec/seccomp`
    /// beside the executable's prefix, then the system locations.
    public static var seccompSearchDirectories: [String] {
        var directories: [String] = []
        if let value = environment("OMEGA_SECCOMP_DIR"), !value.isEmpty { directories.append(value) }
        return directories + shippedDirectories(checkout: "Policies/seccomp", installed: "seccomp")
    }

    /// Where a shipped folder is found, in order: `<checkout>` in a directory above the running
    /// executable (a source checkout), `share/omega-exec/<installed>` beside the executable's prefix,
    /// then `/usr/local/share/omega-exec/<installed>` and `/usr/share/omega-exec/<installed>`. Only
    /// the walk's hits are returned; the two system locations always are.
    ///
    /// - Parameters:
    ///   - checkout: The folder's path in the source tree (`Policies/seccomp`).
    ///   - installed: Its path under `share/omega-exec` once installed (`seccomp`).
    public static func shippedDirectories(checkout: String, installed: String) -> [String] {
        var directories: [String] = []
        if let exe = Syscalls.readlink("/proc/self/exe") {
            var dir = Path.normalize(exe + "/..")
            while dir != "/" {
                for candidate in [dir + "/" + checkout, dir + "/share/omega-exec/" + installed]
                where Syscalls.isDirectory(candidate) {
                    directories.append(candidate)
                }
                dir = Path.normalize(dir + "/..")
            }
        }
        return directories + ["/usr/local/share/omega-exec/" + installed, "/usr/share/omega-exec/" + installed]
    }

    /// The `omega-jail-init` executable: `$OMEGA_JAIL_INIT`, beside the running executable, or in
    /// the libexec directories; nil when none exists.
    public static var initExecutable: String? {
        var candidates: [String] = []
        if let value = environment("OMEGA_JAIL_INIT"), !value.isEmpty { candidates.append(value) }
        if let exe = Syscalls.readlink("/proc/self/exe") {
            candidates.append(Path.normalize(exe + "/../omega-jail-init"))
        }
        candidates += ["/usr/local/libexec/omega-exec/omega-jail-init", "/usr/libexec/omega-exec/omega-jail-init"]
        return candidates.first { Syscalls.exists($0) && !Syscalls.isDirectory($0) }
    }

    static func environment(_ name: String) -> String? { SystemCall.environment(name) }
}
#endif
