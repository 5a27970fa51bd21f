#if os(Linux)
import SystemCalls

/// `OMEGA_JAIL_TRACE=1`: timestamped phase lines on stderr, relative to the process start, for
/// measuring the spawn path. Costs one `getenv` when off.
public enum JailTrace {
    /// Whether tracing is on.
    public static let enabled = JailPaths.environment("OMEGA_JAIL_TRACE") == "1"

    /// The process start time (CLOCK_MONOTONIC ns), from /proc/self/stat.
    nonisolated(unsafe) static var processStart: UInt64 = {
        guard let stat = Syscalls.readFile("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return 0 }
        return ticks * 1_000_000_000 / UInt64(SystemCall.clockTicksPerSecond)
    }()

    /// Writes one line: the time since the process started and `what`.
    public static func mark(_ what: String, at ns: UInt64 = Syscalls.monotonicNs()) {
        guard enabled else { return }
        // CLOCK_MONOTONIC and the boot-time clock of /proc/self/stat differ by suspend time only.
        let bootNow = SystemCall.bootTimeNanoseconds()
        let since = Int64(bootNow) - Int64(Syscalls.monotonicNs()) + Int64(ns) - Int64(processStart)
        var text = "omega-jail trace: +\(since / 1000) us \(what)\n"
        text.withUTF8 { Syscalls.writeAll(2, UnsafeRawBufferPointer($0)) }
    }
}
#endif
