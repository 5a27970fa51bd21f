/// Which cgroup interface a ``CgroupManager`` drives.
public enum CgroupVersion: String, Sendable, Equatable, CaseIterable {
    /// The legacy per-controller hierarchies (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/pids`, ...).
    case v1
    /// The unified hierarchy (`cgroup2`).
    case v2
}
