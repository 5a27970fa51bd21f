/// The limits written into a run's cgroup. `nil` means unlimited (`max`).
///
/// Memory is always limited without swap: v1 sets `memory.memsw.limit_in_bytes` to the same value as
/// `memory.limit_in_bytes` (when swap accounting exists) and `memory.swappiness` to 0; v2 sets
/// `memory.swap.max` to 0 and `memory.oom.group` to 1.
public struct CgroupLimits: Sendable, Equatable, Hashable {
    /// The most memory (RSS, page cache and kernel memory charged to the group), in bytes.
    public var memoryBytes: UInt64?
    /// The most processes and threads the group may hold at once.
    public var pids: Int?

    /// Creates limits; the defaults are the jail's (256 MiB, 64 pids).
    /// - Parameters:
    ///   - memoryBytes: the memory limit in bytes, or nil for none.
    ///   - pids: the process/thread limit, or nil for none.
    public init(
        memoryBytes: UInt64? = JailLimits.defaults.memoryBytes, pids: Int? = JailLimits.defaults.pids
    ) {
        self.memoryBytes = memoryBytes
        self.pids = pids
    }

    /// The jail's defaults (DESIGN.md §2): 256 MiB without swap, 64 pids. Pooled leaves are made with
    /// these, so a lease with them writes nothing.
    public static let jailDefaults = CgroupLimits()

    /// No limit at all: the group only tracks and kills.
    public static let unlimited = CgroupLimits(memoryBytes: nil, pids: nil)
}
