import ArgumentParser
import Jail

#if canImport(Glibc)
import Glibc
#endif

/// `omega-exec jail [options] -- PROGRAM [ARGS...]` (DESIGN §2: the flags are a contract).
struct JailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jail",
        abstract: "Run a program in the jail and report the verdict.",
        discussion: """
            Without --json the program's output streams through and omega-exec exits with the program's \
            exit code (128+signal when signaled, 124 on timeout, 125 on a setup error) and names the \
            verdict on stderr when it is not ok. With --json it prints the result object.
            """
    )

    @Flag(help: "Print the result object as one JSON document on stdout.") var json = false
    @Option(help: "Wall-clock limit in seconds.") var timeout: Double = JailLimits.defaults.wallSeconds
    @Option(
        name: .customLong("cpu-time"), help: "CPU-time limit for the whole tree, in seconds (default: the wall limit).")
    var cpuTime: Double?
    @Option(help: "Memory limit, e.g. 128M, 1G.") var memory: String = JailInvocation.defaultMemory
    @Option(help: "Maximum number of processes and threads.") var pids: Int = JailLimits.defaults.pids
    @Option(name: .customLong("output-limit"), help: "Output cap per stream.") var outputLimit: String = JailInvocation
        .defaultOutputLimit
    @Option(name: .customLong("tmpfs-size"), help: "Size of /tmp.") var tmpfsSize: String = "64M"
    @Option(help: "none: no interface up; loopback: lo up. Never a route out.") var net: String = "loopback"
    @Option(name: .customLong("ro-bind"), help: "Extra read-only bind SRC[:DST] (repeatable).") var roBind: [String] =
        []
    @Option(help: "Extra writable bind SRC[:DST] (repeatable).") var bind: [String] = []
    @Option(help: "Extra environment KEY=VALUE (repeatable).") var env: [String] = []
    @Option(help: "Working directory inside.") var workdir: String = "/work"
    @Option(help: "Seccomp profile: a name (default, strict) or a path.") var seccomp: String = "default"
    @Option(help: "File fed to the program's stdin (default: empty).") var stdin: String?
    @Argument(parsing: .postTerminator, help: "The program and its arguments.") var command: [String] = []

    /// The flags as a plain invocation (shared with the fast path in `main.swift`).
    var invocation: JailInvocation {
        JailInvocation(
            json: json, timeout: timeout, cpuTime: cpuTime, memory: memory, pids: pids,
            outputLimit: outputLimit, tmpfsSize: tmpfsSize, net: net, roBind: roBind, bind: bind,
            env: env, workdir: workdir, seccomp: seccomp, stdin: stdin, command: command)
    }

    func run() throws {
        let jail = JailInvocation.makeJail()
        let spec: JailSpec
        do {
            spec = try invocation.makeSpec()
        } catch {
            CLIOutput.error("omega-exec jail: \(error.message)\nSee 'omega-exec jail --help'.")
            throw ExitCode(64)  // EX_USAGE, like swift-argument-parser's own validation errors
        }
        throw ExitCode(JailInvocation.execute(spec, in: jail, json: json))
    }
}
