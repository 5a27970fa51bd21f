/// What this machine offers for per-run cgroups, as `omega-exec doctor` shows it.
///
/// ``CgroupManager/detect()`` computes it without creating anything; ``CgroupManager/make(poolSize:)``
/// follows the same plan.
public struct CgroupSupport: Sendable, Equatable {
    /// The interface that would be used; nil when none is usable.
    public var version: CgroupVersion?
    /// The directories under which the per-supervisor `omega-exec-<pid>` directory goes (one per v1
    /// hierarchy; one for v2).
    public var basePaths: [String]
    /// The controllers that runs get: `memory`, `pids`, `cpuacct`/`cpu`, `freezer` (v1, used to kill).
    public var controllers: [String]
    /// Why cgroups are not usable, when they are not (e.g. `not root and /sys/fs/cgroup/... is not
    /// delegated to us`).
    public var reason: String?
    /// Remarks worth showing, e.g. that the supervisor will move itself into `<own>/supervisor`.
    public var notes: [String]

    /// Creates a report.
    /// - Parameters:
    ///   - version: the interface used, or nil.
    ///   - basePaths: the parent directories.
    ///   - controllers: the usable controllers.
    ///   - reason: why unusable, or nil.
    ///   - notes: remarks for the operator.
    public init(
        version: CgroupVersion?, basePaths: [String] = [], controllers: [String] = [], reason: String? = nil,
        notes: [String] = []
    ) {
        self.version = version
        self.basePaths = basePaths
        self.controllers = controllers
        self.reason = reason
        self.notes = notes
    }

    /// Whether per-run cgroups can be used.
    public var isUsable: Bool { version != nil && reason == nil }
}
