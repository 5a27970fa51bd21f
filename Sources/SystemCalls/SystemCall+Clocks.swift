#if os(Linux)
import Glibc

/// Clocks and the kernel's identity.
extension SystemCall {
    /// `CLOCK_MONOTONIC` in nanoseconds (`clock_gettime(2)`): for durations and deadlines.
    @inlinable
    public static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// `CLOCK_BOOTTIME` in nanoseconds (`clock_gettime(2)`): monotonic, suspend time included (the
    /// clock of `/proc/<pid>/stat` start times).
    @inlinable
    public static func bootTimeNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// The clock ticks per second of `/proc` times (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    public static var clockTicksPerSecond: Int { sysconf(Int32(_SC_CLK_TCK)) }

    /// The current UTC time as ISO 8601 (`2025-01-31T12:00:00Z`), from `time(2)` and `gmtime_r(3)`.
    public static func utcTimestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }

    /// The kernel's release (`6.1.0-18-amd64`) and machine (`x86_64`), from `uname(2)`.
    public static func kernel() -> (release: String, machine: String) {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (release, machine)
    }
}
#endif
