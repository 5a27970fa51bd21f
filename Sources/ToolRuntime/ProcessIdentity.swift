import Foundation

/// Who drives a run: `bootid:pid:starttime`, so a recorded owner can be told apart from a later
/// process that reuses the pid (or from any process after a reboot).
public enum ProcessIdentity {
    /// This process's identity.
    public static let current: String = identity(of: getpid()) ?? "unknown:\(getpid()):0"

    /// The identity of `pid`, nil when it does not exist.
    public static func identity(of pid: Int32) -> String? {
        guard let start = startTime(of: pid) else { return nil }
        return "\(bootID):\(pid):\(start)"
    }

    /// Whether the process `owner` names is still alive (same boot, same pid, same start time).
    public static func isAlive(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 3, let pid = Int32(parts[1]) else { return false }
        return identity(of: pid) == owner
    }

    private static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "noboot"
        return text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ":", with: "")
    }()

    /// Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot).
    private static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: field 3 is index 0, so field 22 is index 19.
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
