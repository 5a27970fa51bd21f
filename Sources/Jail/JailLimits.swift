/// Resource limits of one run. Defaults are DESIGN §2's.
public struct JailLimits: Sendable, Equatable {
    /// The jail's defaults (DESIGN §2), written here once: every other default refers to these.
    public static let defaults = JailLimits()

    /// Wall-clock limit in seconds.
    public var wallSeconds: Double = 300
    /// CPU-time limit (user + system) for the whole tree, in seconds; `nil` means the wall limit.
    public var cpuSeconds: Double? = nil
    /// Memory limit of the tree in bytes (no swap).
    public var memoryBytes: UInt64 = 256 << 20
    /// Maximum number of processes and threads in the tree.
    public var pids: Int = 64
    /// Output cap per stream, in bytes.
    public var outputBytes: Int = 1 << 20
    /// Largest file the program may write, in bytes.
    public var fileSizeBytes: UInt64 = 64 << 20
    /// Open files per process.
    public var openFiles: UInt64 = 256
    /// Size of the `/tmp` tmpfs (and of `/work` when it is a tmpfs), in bytes.
    public var tmpfsBytes: UInt64 = 64 << 20
    /// Stack size per process, in bytes.
    public var stackBytes: UInt64 = 8 << 20

    /// The defaults.
    public init() {}

    /// The CPU limit in effect.
    public var effectiveCPUSeconds: Double { cpuSeconds ?? wallSeconds }

    /// Checks every limit is in range; the error names the field.
    public func validate() throws(JailError) {
        guard wallSeconds > 0, wallSeconds <= 86_400 else {
            throw .invalid("timeout", "expected seconds in (0, 86400], got \(wallSeconds)")
        }
        if let cpu = cpuSeconds, !(cpu > 0 && cpu <= 86_400) {
            throw .invalid("cpu-time", "expected seconds in (0, 86400], got \(cpu)")
        }
        guard memoryBytes >= 4 << 20 else { throw .invalid("memory", "expected at least 4M, got \(memoryBytes) bytes") }
        guard pids >= 2, pids <= 65_536 else { throw .invalid("pids", "expected 2...65536, got \(pids)") }
        guard outputBytes >= 0 else { throw .invalid("output-limit", "expected a size >= 0") }
        guard tmpfsBytes >= 4096 else { throw .invalid("tmpfs-size", "expected at least 4K") }
        guard openFiles >= 8 else { throw .invalid("open-files", "expected at least 8") }
    }
}
