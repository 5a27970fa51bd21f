import Foundation
import Glibc
import Synchronization
import Testing

@testable import Jail

/// Runs through the in-process API (the CLI is covered by JailAdversarialTests).
@Suite(.serialized) struct JailRunTests {
    static let jail = Jail()
    static let seccomp = try? SeccompPolicy.program(named: "default").bytes

    static var canJail: Bool {
        guard let max = Syscalls.readFile("/proc/sys/user/max_user_namespaces"), Int(max.trimmed) ?? 0 > 0 else {
            return false
        }
        return Syscalls.readFile("/proc/sys/kernel/unprivileged_userns_clone")?.trimmed != "0" || geteuid() == 0
    }

    func run(_ program: String, _ arguments: [String] = [], _ configure: (inout JailSpec) -> Void = { _ in })
        throws -> JailResult
    {
        var spec = JailSpec(program: program, arguments: arguments)
        spec.seccompProgram = Self.seccomp
        spec.limits.wallSeconds = 10
        configure(&spec)
        return try Self.jail.run(spec)
    }

    @Test(.enabled(if: canJail)) func exitZeroIsOkAndOtherCodesAreRuntimeErrors() throws {
        let ok = try run("/bin/true")
        #expect(ok.status == .ok)
        #expect(ok.exitCode == 0)
        #expect(ok.signal == nil)
        let failed = try run("/bin/sh", ["-c", "exit 42"])
        #expect(failed.status == .runtimeError)
        #expect(failed.exitCode == 42)
    }

    @Test(.enabled(if: canJail)) func stdinDataReachesTheProgramAndOutputIsCaptured() throws {
        let result = try run("/bin/sh", ["-c", "tr a-z A-Z; echo err >&2"]) { $0.stdinData = Array("hello".utf8) }
        #expect(result.stdout == "HELLO")
        #expect(result.stderr == "err\n")
    }

    @Test(.enabled(if: canJail)) func programRunsAsPidTwoUnderTheInitWithoutRootOrCapabilities() throws {
        try #require(Self.jail.hasInit, "omega-jail-init was not found beside the test bundle (run `swift build`)")
        let result = try run("/bin/sh", ["-c", "echo $$; id -u; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status"])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "2")
        #expect(lines.dropFirst().first == "1000")
        #expect(lines.dropFirst(2).allSatisfy { $0.hasSuffix("0000000000000000") })
    }

    /// The fallback when `omega-jail-init` is unavailable: the program is pid 1, and still confined.
    @Test(.enabled(if: canJail)) func withoutTheInitTheProgramIsPidOneAndStillConfined() throws {
        var configuration = Jail.Configuration()
        configuration.useInit = false
        let jail = Jail(configuration: configuration)
        #expect(!jail.hasInit)
        var spec = JailSpec(program: "sh", arguments: ["-c", "echo $$; grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; unshare -U true; echo $?"])
        spec.seccompProgram = Self.seccomp
        let result = try jail.run(spec)
        #expect(result.status == .ok, "\(result)")
        // pid 1, no capabilities, no_new_privs, a seccomp filter, and unshare refused (exit 1).
        #expect(result.stdout == "1\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n1\n", "\(result.stdout)")
        let missing = try jail.run(JailSpec(program: "/no/such/program"))
        #expect(missing.error == "execve /no/such/program: ENOENT")
    }

    /// The network-namespace pool must give every run its own namespace, never the host's. The kernel
    /// recycles namespace inode numbers once a namespace is freed, so only namespaces alive together
    /// can be compared: each run (on its own thread, so all six really overlap) writes its namespace
    /// into a shared host directory and then waits until all six have written theirs.
    @Test(.enabled(if: canJail)) func concurrentRunsNeverShareANetworkNamespace() throws {
        let host = Syscalls.readlink("/proc/self/ns/net")
        let jail = Self.jail
        let seccomp = Self.seccomp
        let board = NSTemporaryDirectory() + "omega-netns-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: board, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: board)
        defer { try? FileManager.default.removeItem(atPath: board) }
        let count = 6
        let results = Mutex<[String]>([])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var spec = JailSpec(
                    program: "/bin/sh",
                    arguments: [
                        "-c",
                        "ns=$(readlink /proc/self/ns/net); echo \"$ns\" > /board/\(index); echo \"$ns\"; "
                            + "i=0; while [ $(ls /board | wc -l) -lt \(count) ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
                    ])
                spec.binds = [JailSpec.Bind(source: board, destination: "/board", writable: true)]
                spec.seccompProgram = seccomp
                let result = try? jail.run(spec)
                results.withLock { $0.append(result.map { $0.status == .ok ? $0.stdout.trimmed : "failed: \($0)" } ?? "threw") }
            }
            thread.start()
        }
        group.wait()
        let namespaces = results.withLock { $0 }
        #expect(namespaces.count == count)
        #expect(namespaces.allSatisfy { $0.hasPrefix("net:[") && $0 != host }, "\(namespaces)")
        #expect(Set(namespaces).count == namespaces.count, "runs shared a network namespace: \(namespaces)")
    }

    @Test(.enabled(if: canJail)) func missingProgramIsASetupErrorNamingExecve() throws {
        let result = try run("/no/such/program")
        #expect(result.status == .setupError)
        #expect(result.error == "execve /no/such/program: ENOENT")
        let unknown = try run("no-such-command-anywhere")
        #expect(unknown.error == "execve no-such-command-anywhere: ENOENT")
    }

    @Test(.enabled(if: canJail)) func missingBindSourceIsASetupErrorNamingTheStep() throws {
        let result = try run("/bin/true") {
            $0.binds = [.init(source: "/no/such/dir", destination: "/x", writable: false)]
        }
        #expect(result.status == .setupError)
        #expect(result.error == "stat /no/such/dir: ENOENT")
    }

    @Test(.enabled(if: canJail)) func wallTimeoutKillsTheTreeAndSaysTimeout() throws {
        let result = try run("/bin/sh", ["-c", "sleep 100 & sleep 100"]) { $0.limits.wallSeconds = 0.3 }
        #expect(result.status == .timeout)
        #expect(result.wallMs < 3000)
        #expect(result.signal == SIGKILL)
    }

    @Test(.enabled(if: canJail)) func outputCapTruncatesAndEndsTheRun() throws {
        let result = try run("/bin/sh", ["-c", "yes"]) { $0.limits.outputBytes = 10_000 }
        #expect(result.status == .outputLimit)
        #expect(result.stdoutTruncated)
        #expect(result.stdout.utf8.count == 10_000)
    }

    @Test(.enabled(if: canJail)) func signalsAreReported() throws {
        let result = try run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(result.status == .signaled)
        #expect(result.signal == SIGTERM)
        #expect(result.exitCode == nil)
    }

    @Test(.enabled(if: canJail)) func concurrentRunsKeepTheirOwnOutput() async throws {
        let jail = Self.jail
        let seccomp = Self.seccomp
        try await withThrowingTaskGroup(of: (Int, JailResult).self) { group in
            for index in 0..<8 {
                group.addTask {
                    var spec = JailSpec(program: "/bin/sh", arguments: ["-c", "echo \(index)"])
                    spec.seccompProgram = seccomp
                    return (index, try jail.run(spec))
                }
            }
            for try await (index, result) in group {
                #expect(result.status == .ok)
                #expect(result.stdout == "\(index)\n")
            }
        }
    }

    @Test(.enabled(if: canJail && geteuid() == 0)) func memoryLimitIsReportedWithCgroups() throws {
        try #require(Self.jail.cgroupVersion != "none", "no cgroup backend on this machine")
        let result = try run("/usr/bin/python3", ["-c", "x = bytearray(512 << 20)"]) {
            $0.limits.memoryBytes = 64 << 20
        }
        #expect(result.status == .memoryLimit)
        #expect(result.maxRssKb <= 64 << 10)
    }
}
