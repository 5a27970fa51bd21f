#if os(Linux)
import Foundation
import Glibc
import Testing
import TestSupport

/// End-to-end adversarial tests: `Fixtures/hostile.c` is compiled once and run through the real `omega-exec jail`
/// binary, the way a user (or an attacker's tool) would meet it. Each probe prints `BLOCKED <detail>` or
/// `ESCAPED <detail>`; an `ESCAPED` line is a jail bug and fails the test with the probe's own words.
///
/// The binary is `$OMEGA_EXEC_BIN`, else the `omega-exec` built beside this test bundle (the same scratch path),
/// else `<package>/.build/debug/omega-exec`, else the newest `.build*/{debug,release}/omega-exec`.
/// These tests need root (cgroup limits, `ipcmk`, the rootless user); the rootless ones are skipped when the
/// kernel forbids unprivileged user namespaces.
@Suite(.serialized)
struct JailAdversarialTests {
    // MARK: Namespaces, mounts, kernel interfaces

    @Test(arguments: ["unshare", "setns", "clone-ns", "clone3"])
    func namespaceCreationIsRefused(attack: String) throws {
        try expectBlocked(attack)
    }

    @Test(arguments: ["mount", "umount", "pivot_root", "chroot"])
    func mountTableChangesAreRefused(attack: String) throws {
        try expectBlocked(attack)
    }

    @Test(arguments: [
        "keyctl", "bpf", "perf_event_open", "io_uring_setup", "userfaultfd", "kexec_load", "init_module",
        "settimeofday", "sethostname",
    ])
    func dangerousKernelInterfacesAreRefused(attack: String) throws {
        try expectBlocked(attack)
    }

    @Test(arguments: ["ptrace", "process_vm_readv"])
    func tracingOtherProcessesIsRefused(attack: String) throws {
        try expectBlocked(attack)
    }

    /// The jail's init is a clone of the host supervisor: its /proc entries (exe, cwd, root, fds) must not lead
    /// to host objects.
    @Test func jailInitDoesNotLeadToTheHost() throws {
        try expectBlocked("proc-1")
    }

    /// Every signal the tool can send to the jail's init leaves the run intact (ok, with the tool's own output).
    @Test func jailInitShrugsOffTheToolsSignals() throws {
        let line = try expectBlocked("signal-init")
        #expect(line.hasPrefix("BLOCKED init survived every signal"), "\(line)")
    }

    /// TIOCSTI on a pty that is the probe's controlling terminal: the kernel would allow it, so EPERM can only
    /// come from seccomp.
    @Test func terminalInjectionIsRefusedBySeccomp() throws {
        let line = try expectBlocked("tiocsti")
        #expect(line.contains("ioctl(TIOCSTI) on our controlling pty: EPERM"), "\(line)")
    }

    @Test func hostIPCObjectsAreInvisible() throws {
        let queue = try HostIPC.make(kind: "-Q", listing: "-q")
        defer { HostIPC.remove(kind: "-q", id: queue.id) }
        let segment = try HostIPC.make(kind: "-M", size: "4096", listing: "-m")
        defer { HostIPC.remove(kind: "-m", id: segment.id) }
        let line = try expectBlocked(
            "sysv-ipc", queue.key, String(queue.id), segment.key, String(segment.id))
        #expect(line.contains("msgget(host key \(queue.key)): ENOENT"), "\(line)")
        #expect(line.contains("shmget(host key \(segment.key)): ENOENT"), "\(line)")
        #expect(line.contains("the IPC namespace is empty"), "\(line)")
    }

    // MARK: System call ABIs

    @Test func i386SyscallsKillTheProcess() throws {
        let result = try Harness.shared().hostile("i386")
        #expect(result.status == "signaled", "\(result)")
        #expect(result.signal == Int(SIGSYS), "\(result)")
        #expect(!result.stdout.contains("ESCAPED"), "\(result.stdout)")
    }

    @Test func x32SyscallsAreRefused() throws {
        let result = try Harness.shared().hostile("x32")
        if result.status == "signaled" {
            #expect(result.signal == Int(SIGSYS), "\(result)")
        } else {
            #expect(result.status == "ok", "\(result)")
            #expect(result.stdout.hasPrefix("BLOCKED "), "\(result.stdout)")
        }
    }

    // MARK: Identity and inherited state

    @Test func toolHasNoCapabilitiesAndNoNewPrivileges() throws {
        let line = try expectBlocked("caps")
        for field in ["CapInh=0", "CapPrm=0", "CapEff=0", "CapBnd=0", "CapAmb=0", "NoNewPrivs=1", "Seccomp=2"] {
            #expect(line.contains(field), "\(line)")
        }
    }

    @Test func toolRunsUnprivilegedAndUnmappedFromHostRoot() throws {
        let line = try expectBlocked("uid")
        #expect(line.contains("uid=1000"), "\(line)")
    }

    @Test func onlyStandardDescriptorsAreOpen() throws {
        let line = try expectBlocked("fds")
        #expect(line == "BLOCKED open fds: 0,1,2", "\(line)")
    }

    /// The host shell opens fd 7 without close-on-exec before starting omega-exec; the tool must not see it.
    @Test func hostDescriptorsAreNotInherited() throws {
        let harness = try Harness.shared()
        // Control: the trick really leaves fd 7 open in the next program.
        let control = try run(["/bin/sh", "-c", "exec 7</etc/hostname; exec /bin/sh -c 'test -e /proc/self/fd/7'"])
        #expect(control.exitCode == 0, "the control shell did not keep fd 7 open")
        let command = harness.jailArguments([], hostile: ["inherited-fd", "7"])
        let outcome = try run(["/bin/sh", "-c", "exec 7</etc/hostname; exec \"$@\"", "sh"] + command)
        let result = try decode(outcome)
        #expect(result.status == "ok", "\(result)")
        #expect(result.stdout == "BLOCKED fd 7: EBADF\n", "\(result.stdout)")
    }

    @Test func environmentIsMinimalPlusExplicitEnv() throws {
        let harness = try Harness.shared()
        let plain = try expectBlocked("env")
        #expect(plain == "BLOCKED env=PATH,HOME,LANG,TMPDIR", "\(plain)")
        let extra = try harness.hostile("env", "OMEGA_PROBE", options: ["--env", "OMEGA_PROBE=hello world"])
        #expect(extra.stdout == "BLOCKED env=PATH,HOME,LANG,TMPDIR,OMEGA_PROBE\n", "\(extra)")
        let shell = try harness.jail(
            ["--env", "OMEGA_PROBE=hello world"], ["/bin/sh", "-c", "echo \"$OMEGA_PROBE\""])
        #expect(shell.stdout == "hello world\n", "\(shell)")
    }

    @Test func onlyTheJailsProcessesAreVisible() throws {
        // At most the jail's init and the probe itself.
        let line = try expectBlocked("ps", "2")
        #expect(line.contains("hostile"), "\(line)")
    }

    // MARK: Filesystem and devices

    @Test func systemFilesAreReadOnly() throws {
        try expectBlocked("write-sys")
    }

    /// Nothing of the host beyond /usr and the synthesized /etc, and the supervisor's environment (which holds a
    /// secret here) is not readable through `/proc` of any jailed process.
    @Test func hostFilesAndSecretsAreInvisible() throws {
        let harness = try Harness.shared()
        let secret = "omega-secret-\(UUID().uuidString.prefix(8))"
        let result = try harness.hostile(
            "read-host", String(secret.reversed()), environment: ["OMEGA_ADVERSARIAL_SECRET": secret])
        expectBlocked(result, "read-host")
        #expect(result.stdout.contains("no /proc/*/environ or cmdline holds the host secret"), "\(result.stdout)")
    }

    @Test func deviceNodesAreMinimal() throws {
        let line = try expectBlocked("devices")
        #expect(line.contains("mknod /tmp/omega-null c 1 3: EPERM"), "\(line)")
    }

    @Test func tmpfsFillStopsAtItsSize() throws {
        let limit = 8 << 20
        let result = try Harness.shared().hostile("tmp-fill", String(limit), options: ["--tmpfs-size", "8M"])
        expectBlocked(result, "tmp-fill")
        let written = firstNumber(after: "wrote ", in: result.stdout)
        #expect(written != nil && written! <= limit && written! > 0, "\(result.stdout)")
        #expect(result.stdout.contains("ENOSPC"), "\(result.stdout)")
    }

    // MARK: Network

    @Test func hostLoopbackIsUnreachable() throws {
        let listener = try HostListener.tcpLoopback()
        defer { close(listener.fd) }
        let line = try expectBlocked("net-loopback", String(listener.port))
        #expect(line == "BLOCKED connect 127.0.0.1:\(listener.port): ECONNREFUSED", "\(line)")
    }

    @Test func hostAbstractUnixSocketsAreUnreachable() throws {
        let name = "omega-adversarial-\(getpid())"
        let listener = try HostListener.abstractUnix(name)
        defer { close(listener.fd) }
        let line = try expectBlocked("net-abstract", name)
        #expect(line == "BLOCKED connect @\(name): ECONNREFUSED", "\(line)")
    }

    @Test func noRouteLeavesTheJail() throws {
        let line = try expectBlocked("net-out")
        #expect(line.contains("connect 1.1.1.1:53: ENETUNREACH"), "\(line)")
        #expect(line.contains("connect 10.0.0.1:80: ENETUNREACH"), "\(line)")
    }

    @Test func networkNoneLeavesLoopbackDown() throws {
        let harness = try Harness.shared()
        let loopback = try harness.hostile("lo")
        #expect(loopback.stdout == "INFO lo up interfaces=lo\n", "\(loopback)")
        let none = try harness.hostile("lo", options: ["--net", "none"])
        #expect(none.stdout == "INFO lo down interfaces=lo\n", "\(none)")
        let connect = try harness.hostile("net-loopback", "9", options: ["--net", "none"])
        expectBlocked(connect, "net-loopback under --net none")
        #expect(connect.stdout.contains("ENETUNREACH"), "\(connect.stdout)")
    }

    @Test func strictSeccompRefusesInetButAllowsUnix() throws {
        let harness = try Harness.shared()
        let strict = try harness.hostile("sockets", options: ["--seccomp", "strict"])
        #expect(strict.status == "ok", "\(strict)")
        #expect(strict.stdout.contains(" unix=ok"), "\(strict.stdout)")
        #expect(!strict.stdout.contains(" inet=ok") && !strict.stdout.contains(" inet6=ok"), "\(strict.stdout)")
        let standard = try harness.hostile("sockets")
        #expect(standard.stdout.contains(" unix=ok inet=ok inet6=ok"), "\(standard.stdout)")
        #expect(
            !standard.stdout.contains("netlink=ok") && !standard.stdout.contains("packet=ok"), "\(standard.stdout)")
    }

    // MARK: Resource limits

    @Test func forkBombIsContainedByThePidsLimit() throws {
        let result = try Harness.shared().hostile("fork-bomb", "16", options: ["--pids", "16"])
        expectBlocked(result, "fork-bomb")
        let count = firstNumber(after: "forked ", in: result.stdout)
        #expect(count != nil && count! < 16 && count! > 0, "\(result.stdout)")
        // The default limit (64 pids) holds too.
        let standard = try Harness.shared().hostile("fork-bomb", "64")
        expectBlocked(standard, "fork-bomb under the default limit")
        let standardCount = firstNumber(after: "forked ", in: standard.stdout)
        #expect(standardCount != nil && standardCount! < 64 && standardCount! > 16, "\(standard.stdout)")
    }

    @Test func memoryBombEndsWithMemoryLimit() throws {
        let result = try Harness.shared().hostile("memory-bomb", options: ["--memory", "64M"])
        #expect(result.status == "memory_limit", "\(result)")
        #expect(!result.stdout.contains("ESCAPED"), "\(result.stdout)")
        #expect(result.maxRssKb <= 64 * 1024 + 1024, "\(result)")
    }

    @Test func outputFloodIsTruncatedAtTheOutputLimit() throws {
        let result = try Harness.shared().hostile("output-flood", options: ["--output-limit", "64K"])
        #expect(result.status == "output_limit", "status \(result.status), error \(result.error ?? "nil")")
        #expect(result.stdoutTruncated)
        #expect(result.stdout.utf8.count <= 64 << 10 && result.stdout.utf8.count > 0, "\(result.stdout.utf8.count)")
    }

    @Test func wallTimeoutKillsASpinningTool() throws {
        let result = try Harness.shared().hostile("spin", options: ["--timeout", "1"])
        #expect(result.status == "timeout", "\(result)")
        #expect(result.wallMs >= 900 && result.wallMs < 3000, "\(result.wallMs)")
    }

    @Test func cpuTimeLimitStopsASpinningTool() throws {
        let result = try Harness.shared().hostile("spin", options: ["--cpu-time", "1", "--timeout", "10"])
        #expect(result.status == "timeout", "\(result)")
        #expect(result.wallMs < 3000, "\(result.wallMs)")
        #expect(result.cpuMs >= 900, "\(result.cpuMs)")
    }

    // MARK: Nothing outlives the run

    /// The tool double-forks a session leader that ignores SIGHUP/SIGTERM, then exits 0: the daemon dies with it.
    @Test func detachedDaemonDiesWithTheTool() throws {
        let marker = Self.marker()
        let result = try Harness.shared().hostile("busy-daemon", marker)
        defer { killProcesses(named: marker) }
        #expect(result.status == "ok", "\(result)")
        #expect(result.stdout == "INFO daemon \(marker) started\n", "\(result.stdout)")
        #expect(processes(named: marker).isEmpty, "daemon \(marker) survived: \(processes(named: marker))")
    }

    /// A timeout kills the tool and its detached daemon, and leaves no cgroup, mount or process on the host.
    @Test func timeoutKillsDetachedDaemons() throws {
        let harness = try Harness.shared()
        let marker = Self.marker()
        let mountsBefore = hostMountsOfOthers()
        let start = Date()
        let outcome = try run(harness.jailArguments(["--timeout", "1"], hostile: ["busy-daemon", marker, "stay"]))
        defer { killProcesses(named: marker) }
        let result = try decode(outcome)
        #expect(result.status == "timeout", "\(result)")
        #expect(result.stdout == "INFO daemon \(marker) started\n", "\(result.stdout)")
        #expect(Date().timeIntervalSince(start) < 3, "the run took \(Date().timeIntervalSince(start)) s")
        #expect(processes(named: marker).isEmpty, "daemon \(marker) survived: \(processes(named: marker))")
        let leftovers = cgroupDirectories(ofSupervisor: outcome.pid)
        #expect(leftovers.isEmpty, "cgroup directories left behind: \(leftovers)")
        let mountsAfter = hostMountsOfOthers()
        #expect(mountsBefore == mountsAfter, "host mounts changed:\n\(lineDiff(mountsBefore, mountsAfter))")
    }

    /// `kill -9` of the supervisor mid-run takes the whole jail down (the init's parent-death signal), daemons
    /// included.
    @Test func supervisorDeathKillsTheJail() throws {
        let harness = try Harness.shared()
        let marker = Self.marker()
        let argv = harness.jailArguments(["--timeout", "30"], hostile: ["busy-daemon", marker, "stay"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { killProcesses(named: marker) }
        var deadline = Date().addingTimeInterval(10)
        while processes(named: marker).isEmpty && Date() < deadline { usleep(10_000) }
        #expect(!processes(named: marker).isEmpty, "the daemon never started")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        deadline = Date().addingTimeInterval(3)
        while !processes(named: marker).isEmpty && Date() < deadline { usleep(10_000) }
        #expect(processes(named: marker).isEmpty, "jail outlived its supervisor: \(processes(named: marker))")
    }

    // MARK: Verdicts and the CLI contract

    @Test func everyExitKindHasItsVerdict() throws {
        let harness = try Harness.shared()
        let ok = try harness.jail([], ["/bin/sh", "-c", "echo hi"])
        #expect(ok.status == "ok" && ok.exitCode == 0 && ok.signal == nil && ok.stdout == "hi\n", "\(ok)")
        #expect(["v1", "v2"].contains(ok.cgroup), "\(ok.cgroup)")
        let failed = try harness.jail([], ["/bin/sh", "-c", "exit 3"])
        #expect(failed.status == "runtime_error" && failed.exitCode == 3, "\(failed)")
        let signaled = try harness.jail([], ["/bin/sh", "-c", "kill -SEGV $$"])
        #expect(signaled.status == "signaled" && signaled.signal == Int(SIGSEGV), "\(signaled)")
    }

    @Test func setupErrorsNameTheStepAndErrno() throws {
        let harness = try Harness.shared()
        let missing = try harness.jail([], ["/nonexistent"])
        #expect(missing.status == "setup_error", "\(missing)")
        #expect(missing.error?.contains("execve /nonexistent") == true, "\(missing.error ?? "nil")")
        #expect(missing.error?.contains("ENOENT") == true, "\(missing.error ?? "nil")")
        let bind = try harness.jail(["--ro-bind", "/nonexistent-dir:/x"], ["/bin/true"])
        #expect(bind.status == "setup_error", "\(bind)")
        #expect(bind.error?.contains("/nonexistent-dir") == true, "\(bind.error ?? "nil")")
        #expect(bind.error?.contains("ENOENT") == true, "\(bind.error ?? "nil")")
    }

    @Test func plainModeExitCodesFollowTheContract() throws {
        let harness = try Harness.shared()
        func plain(_ options: [String], _ command: [String]) throws -> Outcome {
            try run([harness.binary, "jail"] + options + ["--"] + command)
        }
        let ok = try plain([], ["/bin/sh", "-c", "echo hello"])
        #expect(ok.exitCode == 0 && ok.stdout == "hello\n" && ok.stderr.isEmpty, "\(ok)")
        let failed = try plain([], ["/bin/sh", "-c", "echo oops >&2; exit 3"])
        #expect(failed.exitCode == 3, "\(failed)")
        #expect(failed.stderr.contains("oops"), "\(failed.stderr)")
        #expect(failed.stderr.contains("omega-exec jail: runtime_error"), "\(failed.stderr)")
        let timeout = try plain(
            ["--timeout", "1", "--ro-bind", "\(harness.hostilePath):/opt/hostile"], ["/opt/hostile", "spin"])
        #expect(timeout.exitCode == 124 && timeout.stderr.contains("timeout"), "\(timeout)")
        let setup = try plain([], ["/nonexistent"])
        #expect(setup.exitCode == 125 && setup.stderr.contains("setup_error"), "\(setup)")
        #expect(setup.stderr.contains("ENOENT"), "\(setup.stderr)")
        let signaled = try plain([], ["/bin/sh", "-c", "kill -SEGV $$"])
        #expect(signaled.exitCode == 128 + SIGSEGV && signaled.stderr.contains("signaled"), "\(signaled)")
    }

    @Test func stdinFileIsFedToTheTool() throws {
        let harness = try Harness.shared()
        let input = harness.directory + "/stdin.txt"
        let text = "line one\nline two ✓\n"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let fed = try harness.jail(["--stdin", input], ["/bin/cat"])
        #expect(fed.status == "ok" && fed.stdout == text, "\(fed)")
        let empty = try harness.jail([], ["/bin/cat"])
        #expect(empty.status == "ok" && empty.stdout.isEmpty, "\(empty)")
    }

    @Test func invalidFlagValueIsAUsageError() throws {
        let harness = try Harness.shared()
        let outcome = try run([harness.binary, "jail", "--json", "--memory", "lots", "--", "/bin/true"])
        #expect(outcome.exitCode == 64, "\(outcome)")
        #expect(outcome.stderr.contains("--memory"), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "\(outcome.stdout)")
    }

    // MARK: Rootless

    @Test(
        .enabled(
            if: Rootless.available, "unprivileged user namespaces are disabled here, or the tests are not root"))
    func rootlessRunSucceedsWithoutCgroups() throws {
        let rootless = try Rootless.shared()
        let result = try rootless.jail(["/bin/sh", "-c", "id -u; echo ok"])
        #expect(result.status == "ok", "\(result)")
        #expect(result.stdout == "1000\nok\n", "\(result.stdout)")
        #expect(result.cgroup == "none", "\(result.cgroup)")
    }

    @Test(
        .enabled(
            if: Rootless.available, "unprivileged user namespaces are disabled here, or the tests are not root"))
    func rootlessJailStillRefusesNamespacesAndCapabilities() throws {
        let rootless = try Rootless.shared()
        for attack in ["unshare", "caps", "uid", "mount"] {
            let result = try rootless.jail(
                ["/opt/hostile", attack], options: ["--ro-bind", "\(rootless.hostile):/opt/hostile"])
            expectBlocked(result, "rootless \(attack)")
            if attack == "uid" {
                #expect(result.stdout.contains("host \(rootless.uid) (x1)"), "\(result.stdout)")
            }
        }
    }

    // MARK: Helpers

    /// A comm name (at most 15 bytes) unique to this test process and call.
    static func marker() -> String {
        "omg" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }
}

// MARK: - Running omega-exec

/// The JSON result of `omega-exec jail --json` (DESIGN §2).
private struct JailVerdict: Decodable, Sendable, CustomStringConvertible {
    var status: String
    var exitCode: Int?
    var signal: Int?
    var wallMs: Double
    var cpuMs: Double
    var maxRssKb: Int
    var stdout: String
    var stderr: String
    var stdoutTruncated: Bool
    var stderrTruncated: Bool
    var error: String?
    var cgroup: String

    var description: String {
        "status=\(status) exit=\(exitCode.map(String.init) ?? "nil") signal=\(signal.map(String.init) ?? "nil") "
            + "wallMs=\(wallMs) error=\(error ?? "nil") cgroup=\(cgroup) "
            + "stdout=\(stdout.prefix(600).debugDescription) stderr=\(stderr.prefix(600).debugDescription)"
    }
}

/// How a host process ended.
private struct Outcome: Sendable, CustomStringConvertible {
    var pid: Int32
    var exitCode: Int32
    var stdout: String
    var stderr: String

    var description: String {
        "exit=\(exitCode) stdout=\(stdout.prefix(600).debugDescription) "
            + "stderr=\(stderr.prefix(600).debugDescription)"
    }
}

private struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
}

/// The compiled probe and the binary under test, prepared once for the whole suite.
private struct Harness: Sendable {
    let packageRoot: String
    let binary: String
    /// A private 0755 directory holding the probe and scratch files.
    let directory: String
    let hostilePath: String

    private static let prepared: Result<Harness, HarnessFailure> = Result { try Harness.prepare() }
        .mapError { $0 as? HarnessFailure ?? HarnessFailure(description: "\($0)") }

    /// The suite's harness; throws (failing the calling test) when the probe or the binary is unavailable.
    static func shared() throws -> Harness { try prepared.get() }

    private static func prepare() throws -> Harness {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        guard let binary = locateBinary(packageRoot: root) else {
            throw HarnessFailure(
                description:
                    "omega-exec not found: set OMEGA_EXEC_BIN or run `swift build` (looked beside the test "
                    + "bundle and in \(root)/.build*/{debug,release})")
        }
        removeStaleDirectories()
        let directory = NSTemporaryDirectory() + "omega-adversarial-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let hostile = directory + "/hostile"
        let source = root + "/Tests/JailTests/Fixtures/hostile.c"
        let compile = try run(["/usr/bin/gcc", "-O1", "-o", hostile, source], timeout: 120)
        guard compile.exitCode == 0 else {
            throw HarnessFailure(description: "gcc failed on \(source): \(compile.stderr)")
        }
        chmod(hostile, 0o755)
        FileHandle.standardError.write(Data("JailAdversarialTests: using \(binary)\n".utf8))
        return Harness(packageRoot: root, binary: binary, directory: directory, hostilePath: hostile)
    }

    /// Removes the scratch directories of earlier test processes that are gone (a static has no teardown).
    private static func removeStaleDirectories() {
        let temporary = NSTemporaryDirectory()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        for name in names where name.hasPrefix("omega-adversarial-") {
            guard let pid = Int32(name.dropFirst("omega-adversarial-".count)), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(atPath: temporary + name)
        }
    }

    /// The built `omega-exec` (TestSupport's one locator: `$OMEGA_EXEC_BIN`, beside the test bundle, or
    /// the package's `.build/debug`).
    private static func locateBinary(packageRoot root: String) -> String? { OmegaCLI.binary }

    /// `omega-exec jail --json <options> --ro-bind hostile:/opt/hostile -- /opt/hostile <hostile...>`.
    func jailArguments(_ options: [String], hostile: [String]) -> [String] {
        [binary, "jail", "--json", "--ro-bind", "\(hostilePath):/opt/hostile"] + options + ["--", "/opt/hostile"]
            + hostile
    }

    /// Runs the probe in the jail and decodes the verdict.
    func hostile(_ arguments: String..., options: [String] = [], environment: [String: String] = [:]) throws
        -> JailVerdict
    {
        try decode(run(jailArguments(options, hostile: arguments), environment: environment))
    }

    /// Runs any program in the jail and decodes the verdict.
    func jail(_ options: [String], _ command: [String]) throws -> JailVerdict {
        try decode(run([binary, "jail", "--json"] + options + ["--"] + command))
    }
}

/// Runs a host program to completion with stdout and stderr captured through files (no pipe deadlocks), and kills
/// it after `timeout` seconds.
private func run(_ argv: [String], environment: [String: String] = [:], timeout: Double = 30) throws -> Outcome {
    let result = try HostProcess.run(argv, environment: environment, timeout: timeout)
    return Outcome(pid: result.pid, exitCode: result.status, stdout: result.stdout, stderr: result.stderr)
}

/// Decodes `--json` output, failing with what omega-exec printed when it is not one result object.
private func decode(_ outcome: Outcome) throws -> JailVerdict {
    do {
        return try JSONDecoder().decode(JailVerdict.self, from: Data(outcome.stdout.utf8))
    } catch {
        throw HarnessFailure(description: "omega-exec did not print a result object (\(error)): \(outcome)")
    }
}

/// Runs a probe and expects its single `BLOCKED` line; returns that line without the newline.
@discardableResult
private func expectBlocked(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws
    -> String
{
    let harness = try Harness.shared()
    let args = arguments
    let result = try decode(run(harness.jailArguments([], hostile: args)))
    expectBlocked(result, args.joined(separator: " "), sourceLocation: sourceLocation)
    return String(result.stdout.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
}

/// Expects a probe run that ended normally with one `BLOCKED` line.
private func expectBlocked(
    _ result: JailVerdict, _ attack: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status == "ok", "hostile \(attack): \(result)", sourceLocation: sourceLocation)
    let lines = result.stdout.split(separator: "\n")
    #expect(
        lines.count == 1 && lines[0].hasPrefix("BLOCKED "),
        "hostile \(attack) was not blocked: \(result.stdout)", sourceLocation: sourceLocation)
}

/// The first decimal number after `prefix` in `text`.
private func firstNumber(after prefix: String, in text: String) -> Int? {
    guard let range = text.range(of: prefix) else { return nil }
    return Int(text[range.upperBound...].prefix { $0.isNumber })
}

private func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// The host's mounts without the artifact outboxes other test suites mount and unmount meanwhile
/// (tmpfs on `…/work/out-run_…` and `/tmp/omega-outbox-test-…`): this jail run mounts none of them.
private func hostMountsOfOthers() -> String {
    readText("/proc/self/mounts").split(separator: "\n")
        .filter { !$0.contains("/work/out-run_") && !$0.contains("/omega-outbox-test-") }
        .joined(separator: "\n")
}

private func lineDiff(_ before: String, _ after: String) -> String {
    let old = Set(before.split(separator: "\n")), new = Set(after.split(separator: "\n"))
    return (old.subtracting(new).map { "- \($0)" } + new.subtracting(old).map { "+ \($0)" }).joined(separator: "\n")
}

// MARK: - Host-side observation

/// Host processes whose comm is `name`, as "pid:state".
private func processes(named name: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
        guard readText("/proc/\(pid)/comm").trimmingCharacters(in: .newlines) == name else { return nil }
        let stat = readText("/proc/\(pid)/stat")
        let state = stat.range(of: ") ").map { String(stat[$0.upperBound...].prefix(1)) } ?? "?"
        return "\(pid):\(state)"
    }
}

/// Cleans up after a failed containment test so that a surviving daemon does not spin forever.
private func killProcesses(named name: String) {
    for entry in processes(named: name) {
        if let pid = Int32(entry.prefix { $0 != ":" }) { kill(pid, SIGKILL) }
    }
}

/// Cgroup directories named after the supervisor `pid` (`omega-exec-<pid>` or `omega-exec-<pid>-<n>`) anywhere
/// under /sys/fs/cgroup (v1 hierarchies and the unified one).
private func cgroupDirectories(ofSupervisor pid: Int32) -> [String] {
    var found: [String] = []
    func walk(_ path: String, depth: Int) {
        guard depth < 10, let dir = opendir(path) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if name == "omega-exec-\(pid)" || name.hasPrefix("omega-exec-\(pid)-") { found.append(child) }
            walk(child, depth: depth + 1)
        }
    }
    walk("/sys/fs/cgroup", depth: 0)
    return found
}

// MARK: - Host-side fixtures

/// SysV IPC objects created on the host with util-linux's `ipcmk`.
private enum HostIPC {
    struct Object {
        var id: Int
        var key: String
    }

    static func make(kind: String, size: String? = nil, listing: String) throws -> Object {
        let made = try run(["/usr/bin/ipcmk", kind] + (size.map { [$0] } ?? []))
        guard made.exitCode == 0,
            let id = made.stdout.split(separator: ":").last.flatMap({
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        else {
            throw HarnessFailure(description: "ipcmk \(kind) failed: \(made)")
        }
        let listed = try run(["/usr/bin/ipcs", listing])
        for line in listed.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 2, fields[0].hasPrefix("0x"), Int(fields[1]) == id {
                return Object(id: id, key: String(fields[0]))
            }
        }
        remove(kind: listing, id: id)
        throw HarnessFailure(description: "ipcs \(listing) does not list id \(id): \(listed.stdout)")
    }

    static func remove(kind: String, id: Int) {
        _ = try? run(["/usr/bin/ipcrm", kind, String(id)])
    }
}

/// Listening sockets on the host side of the jail's network namespace.
private enum HostListener {
    static func tcpLoopback() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessFailure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw HarnessFailure(description: "bind/listen on 127.0.0.1: errno \(errno)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func abstractUnix(_ name: String) throws -> (fd: Int32, name: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessFailure(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0
            for (index, byte) in bytes.prefix(path.count - 1).enumerated() { path[index + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 }
        }
        guard bound else {
            close(fd)
            throw HarnessFailure(description: "bind/listen on @\(name): errno \(errno)")
        }
        return (fd, name)
    }
}

// MARK: - Rootless mode

/// omega-exec run by an unprivileged host user (`omegatest`) through unprivileged user namespaces.
private struct Rootless: Sendable {
    static let user = "omegatest"
    let binary: String
    let hostile: String
    let home: String
    let seccompDirectory: String
    let uid: Int

    /// Whether the kernel allows unprivileged user namespaces and we can become another user.
    static var available: Bool {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else {
            return false
        }
        let clone = readText("/proc/sys/kernel/unprivileged_userns_clone").trimmingCharacters(
            in: .whitespacesAndNewlines)
        let maximum = readText("/proc/sys/user/max_user_namespaces").trimmingCharacters(in: .whitespacesAndNewlines)
        let apparmor = readText("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return clone != "0" && maximum != "0" && apparmor != "1"
    }

    private static let prepared: Result<Rootless, HarnessFailure> = Result { try Rootless.prepare() }
        .mapError { $0 as? HarnessFailure ?? HarnessFailure(description: "\($0)") }

    static func shared() throws -> Rootless { try prepared.get() }

    private static func prepare() throws -> Rootless {
        let harness = try Harness.shared()
        if try run(["/usr/bin/id", "-u", user]).exitCode != 0 {
            let added = try run(["/usr/sbin/useradd", "-m", user])
            guard added.exitCode == 0 else { throw HarnessFailure(description: "useradd -m \(user): \(added)") }
        }
        guard
            let uid = Int(
                try run(["/usr/bin/id", "-u", user]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw HarnessFailure(description: "cannot find the uid of \(user)") }
        let fm = FileManager.default
        let directory = harness.directory + "/rootless"
        try fm.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let binary = directory + "/omega-exec"
        try? fm.removeItem(atPath: binary)
        try fm.copyItem(atPath: harness.binary, toPath: binary)
        chmod(binary, 0o755)
        let home = directory + "/home"
        try fm.createDirectory(
            atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chown(home, uid_t(uid), getpwnam(user)?.pointee.pw_gid ?? gid_t(uid)) == 0 else {
            throw HarnessFailure(description: "chown \(home): errno \(errno)")
        }
        return Rootless(
            binary: binary, hostile: harness.hostilePath, home: home,
            seccompDirectory: harness.packageRoot + "/Policies/seccomp", uid: uid)
    }

    /// `runuser -u omegatest -- env OMEGA_HOME=... OMEGA_SECCOMP_DIR=... omega-exec jail --json ... -- command`.
    func jail(_ command: [String], options: [String] = []) throws -> JailVerdict {
        try decode(
            run(
                [
                    "/usr/sbin/runuser", "-u", Self.user, "--", "/usr/bin/env", "OMEGA_HOME=\(home)",
                    "OMEGA_SECCOMP_DIR=\(seccompDirectory)", binary, "jail", "--json",
                ] + options + ["--"] + command))
    }
}
#endif
