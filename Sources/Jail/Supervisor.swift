#if os(Linux)
import CJail
import Glibc  // signal numbers only: every call goes through Syscalls
import SystemCalls

/// Watches one released child: collects output within its caps, enforces the wall and CPU limits,
/// reads the status pipe, reaps the jail's init and turns it all into a verdict.
struct Supervisor {
    private enum KillReason { case wall, cpu, output, cancelled }

    private var run: PreparedRun
    private let output: Jail.OutputMode
    private let started: UInt64
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var stdoutCount = 0, stderrCount = 0
    private var stdoutTruncated = false, stderrTruncated = false
    private var statusBytes: [UInt8] = []
    private var killReason: KillReason?
    private let cancellation: JailCancellation?

    init(run: PreparedRun, output: Jail.OutputMode, started: UInt64, cancellation: JailCancellation? = nil) {
        self.run = run
        self.output = output
        self.started = started
        self.cancellation = cancellation
    }

    mutating func supervise() throws(JailError) -> JailResult {
        let limits = run.spec.limits
        let deadline = started + UInt64(limits.wallSeconds * 1e9)
        let cpuLimitNs = UInt64(limits.effectiveCPUSeconds * 1e9)
        let checksCPU = run.lease != nil && limits.cpuSeconds != nil
        var nextCPUCheck = started + 50_000_000
        var reaped: SystemCall.ProcessExit?
        var open = (stdout: true, stderr: true, status: true)
        let pidfd = run.child.pidfd
        let cancelFD = cancellation?.readFD ?? -1
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { raw.deallocate() }

        while reaped == nil || open.stdout || open.stderr || open.status {
            let now = Syscalls.monotonicNs()
            if killReason == nil && reaped == nil && now >= deadline { kill(.wall) }
            if killReason == nil, reaped == nil, cancellation?.isCancelled == true { kill(.cancelled) }
            if checksCPU, reaped == nil, killReason == nil, now >= nextCPUCheck {
                nextCPUCheck = now + 50_000_000
                if let used = run.lease?.usage().cpuNanoseconds, used >= cpuLimitNs { kill(.cpu) }
            }
            var fds: [SystemCall.PollDescriptor] = []
            let readable = SystemCall.pollReadable
            if open.stdout { fds.append(.init(fd: run.stdoutRead, events: readable, revents: 0)) }
            if open.stderr { fds.append(.init(fd: run.stderrRead, events: readable, revents: 0)) }
            if open.status { fds.append(.init(fd: run.child.status_fd, events: readable, revents: 0)) }
            if reaped == nil { fds.append(.init(fd: pidfd, events: readable, revents: 0)) }
            let watchesCancel = cancellation != nil && killReason == nil && reaped == nil
            if watchesCancel && cancelFD >= 0 { fds.append(.init(fd: cancelFD, events: readable, revents: 0)) }
            var waitNs: UInt64 = reaped == nil ? (deadline > now ? deadline - now : 0) : 1_000_000_000
            if checksCPU && reaped == nil { waitNs = min(waitNs, nextCPUCheck > now ? nextCPUCheck - now : 0) }
            if killReason != nil { waitNs = min(waitNs, 100_000_000) }
            if watchesCancel && cancelFD < 0 { waitNs = min(waitNs, 50_000_000) }
            let timeout = Int32(min((waitNs + 999_999) / 1_000_000, 60_000))
            _ = try Syscalls.poll(&fds, timeoutMs: timeout)

            for pfd in fds where pfd.revents != 0 {
                if pfd.fd == cancelFD {
                    if killReason == nil { kill(.cancelled) }  // the pipe stays readable: never read it
                    continue
                }
                if pfd.fd == pidfd {
                    if run.jail.trace { Supervisor.traceLine("parent: init exited", Syscalls.monotonicNs()) }
                    reaped = try Syscalls.wait(run.child.pid, noHang: true)
                    continue
                }
                while true {
                    guard let n = try Syscalls.read(pfd.fd, into: raw) else { break }
                    if n == 0 {
                        if pfd.fd == run.stdoutRead {
                            open.stdout = false
                        } else if pfd.fd == run.stderrRead {
                            open.stderr = false
                        } else {
                            open.status = false
                        }
                        break
                    }
                    consume(fd: pfd.fd, UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                    if n < raw.count { break }
                }
            }
            if reaped != nil, Syscalls.monotonicNs() > deadline + 5_000_000_000 {
                break  // writers are gone with the namespace; never hang on a stuck pipe
            }
        }
        let wallMs = PreparedRun.ms(since: started)
        if run.jail.trace { Supervisor.traceLine("parent: reaped", Syscalls.monotonicNs()) }
        return verdict(reaped: reaped!, wallMs: wallMs)
    }

    private mutating func kill(_ reason: KillReason) {
        killReason = reason
        Syscalls.kill(pidfd: run.child.pidfd, pid: run.child.pid)
    }

    private mutating func consume(fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        if fd == run.child.status_fd {
            statusBytes.append(contentsOf: bytes)
            if run.jail.trace { Supervisor.traceLine("parent: status record(s) read", Syscalls.monotonicNs()) }
            return
        }
        let isStdout = fd == run.stdoutRead
        let cap = run.spec.limits.outputBytes
        let count = isStdout ? stdoutCount : stderrCount
        let room = max(0, cap - count)
        let kept = UnsafeRawBufferPointer(rebasing: bytes[0..<min(room, bytes.count)])
        if isStdout { stdoutCount += kept.count } else { stderrCount += kept.count }
        switch output {
        case .capture:
            if isStdout { stdoutBytes.append(contentsOf: kept) } else { stderrBytes.append(contentsOf: kept) }
        case .passthrough(let out, let err):
            if !kept.isEmpty { Syscalls.writeAll(isStdout ? out : err, kept) }
        }
        if bytes.count > room {
            if isStdout { stdoutTruncated = true } else { stderrTruncated = true }
            if killReason == nil { kill(.output) }
        }
    }

    /// (trace) Writes one timing line to stderr.
    static func traceLine(_ what: String, _ ns: UInt64) { JailTrace.mark(what, at: ns) }

    /// The status pipe's records: a setup error, and the tool's wait status.
    private func reports() -> (setupError: String?, toolStatus: Int32?) {
        var setupError: String?
        var toolStatus: Int32?
        let size = MemoryLayout<cj_report>.size
        var offset = 0
        while offset + size <= statusBytes.count {
            let report = statusBytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: cj_report.self) }
            offset += size
            if report.kind == Int32(CJ_REPORT_SETUP_ERROR), setupError == nil {
                let step = withUnsafeBytes(of: report.step) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                setupError = "\(step): \(Errno.name(report.err))"
            } else if report.kind == Int32(CJ_REPORT_TIMING) {
                let step = withUnsafeBytes(of: report.step) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                Supervisor.traceLine("child: " + step, UInt64(report.ns))
            } else if report.kind == Int32(CJ_REPORT_EXIT) {
                toolStatus = report.wait_status
            }
        }
        return (setupError, toolStatus)
    }

    private func verdict(reaped: SystemCall.ProcessExit, wallMs: Double) -> JailResult {
        let usage = run.lease?.usage()
        let (setupError, toolStatus) = reports()
        let (exitCode, signal) = Syscalls.decode(waitStatus: toolStatus ?? reaped.status)
        var result = JailResult(
            status: .ok, exitCode: exitCode, signal: signal, wallMs: wallMs,
            cgroup: run.jail.cgroupVersion)
        result.cpuMs =
            usage?.cpuNanoseconds.map { Double($0) / 1e6 }
            ?? Double(reaped.userMicroseconds + reaped.systemMicroseconds) / 1000
        result.maxRssKb = usage?.peakMemoryBytes.map { Int64($0 / 1024) } ?? reaped.maxResidentKilobytes
        result.stdout = String(decoding: stdoutBytes, as: UTF8.self)
        result.stderr = String(decoding: stderrBytes, as: UTF8.self)
        result.stdoutTruncated = stdoutTruncated
        result.stderrTruncated = stderrTruncated

        if let setupError, killReason == nil {
            result.status = .setupError
            result.error = setupError
            result.exitCode = nil
            result.signal = nil
            return result
        }
        switch killReason {
        case .wall:
            result.status = .timeout
            result.error = "wall-clock limit of \(run.spec.limits.wallSeconds) s reached"
        case .cpu:
            result.status = .timeout
            result.error = "CPU-time limit of \(run.spec.limits.effectiveCPUSeconds) s reached"
        case .output:
            result.status = .outputLimit
            result.error = "output limit of \(run.spec.limits.outputBytes) bytes reached"
        case .cancelled:
            result.status = .signaled
            result.error = JailCancellation.verdictError
            result.exitCode = nil
            result.signal = SIGKILL
        case nil:
            if let oom = usage?.oomKills, oom > 0 {
                result.status = .memoryLimit
                result.error =
                    "memory limit of \(run.spec.limits.memoryBytes) bytes reached (\(oom) OOM kill\(oom == 1 ? "" : "s"))"
            } else if let signal {
                if signal == SIGXCPU {
                    result.status = .timeout
                    result.error = "CPU-time limit of \(run.spec.limits.effectiveCPUSeconds) s reached"
                } else {
                    result.status = .signaled
                }
            } else {
                result.status = exitCode == 0 ? .ok : .runtimeError
            }
        }
        if result.status == .timeout || result.status == .outputLimit, toolStatus == nil {
            result.exitCode = nil
            result.signal = SIGKILL
        }
        return result
    }
}
#endif
