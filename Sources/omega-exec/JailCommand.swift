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
    @Option(help: "Wall-clock limit in seconds.") var timeout: Double = 300
    @Option(name: .customLong("cpu-time"), help: "CPU-time limit for the whole tree, in seconds (default: the wall limit).")
    var cpuTime: Double?
    @Option(help: "Memory limit, e.g. 128M, 1G.") var memory: String = "256M"
    @Option(help: "Maximum number of processes and threads.") var pids: Int = 64
    @Option(name: .customLong("output-limit"), help: "Output cap per stream.") var outputLimit: String = "1M"
    @Option(name: .customLong("tmpfs-size"), help: "Size of /tmp.") var tmpfsSize: String = "64M"
    @Option(help: "none: no interface up; loopback: lo up. Never a route out.") var net: String = "loopback"
    @Option(name: .customLong("ro-bind"), help: "Extra read-only bind SRC[:DST] (repeatable).") var roBind: [String] = []
    @Option(help: "Extra writable bind SRC[:DST] (repeatable).") var bind: [String] = []
    @Option(help: "Extra environment KEY=VALUE (repeatable).") var env: [String] = []
    @Option(help: "Working directory inside.") var workdir: String = "/work"
    @Option(help: "Seccomp profile: a name (default, strict) or a path.") var seccomp: String = "default"
    @Option(help: "File fed to the program's stdin (default: empty).") var stdin: String?
    @Argument(parsing: .postTerminator, help: "The program and its arguments.") var command: [String] = []

    func run() throws {
        let spec: JailSpec
        do {
            spec = try makeSpec()
        } catch let error as JailError {
            throw ValidationError(error.message)
        }
        var configuration = Jail.Configuration()
        configuration.cgroupPoolSize = 0  // one run per process: no pool to fill and tear down
        let jail = Jail(configuration: configuration)
        let result: JailResult
        do {
            result = try jail.run(spec, output: json ? .capture : .passthrough(stdout: 1, stderr: 2))
        } catch {
            CLIOutput.error("omega-exec jail: \(error.message)")
            throw ExitCode(125)
        }
        if json {
            CLIOutput.out(result.json() + "\n")
            return
        }
        if result.status != .ok {
            var line = "omega-exec jail: \(result.status.rawValue)"
            if let code = result.exitCode, result.status == .runtimeError { line += " (exit \(code))" }
            if let signal = result.signal, result.status == .signaled { line += " (signal \(signal))" }
            if let error = result.error { line += ": \(error)" }
            CLIOutput.error(line)
        }
        throw ExitCode(result.shellExitCode)
    }

    private func makeSpec() throws(JailError) -> JailSpec {
        guard let program = command.first else {
            throw .invalid("PROGRAM", "expected a program after --, e.g. omega-exec jail -- /bin/true")
        }
        var spec = JailSpec(program: program, arguments: Array(command.dropFirst()))
        spec.limits.wallSeconds = timeout
        spec.limits.cpuSeconds = cpuTime
        spec.limits.memoryBytes = try Size.parse(memory, field: "--memory")
        spec.limits.pids = pids
        spec.limits.outputBytes = Int(try Size.parse(outputLimit, field: "--output-limit"))
        spec.limits.tmpfsBytes = try Size.parse(tmpfsSize, field: "--tmpfs-size")
        guard let network = JailSpec.Network(rawValue: net) else {
            throw .invalid("--net", "expected none or loopback, got '\(net)'")
        }
        spec.network = network
        let cwd = CLIOutput.currentDirectory()
        spec.binds = try roBind.map { (text) throws(JailError) in try JailSpec.Bind.parse(text, writable: false, cwd: cwd) }
            + bind.map { (text) throws(JailError) in try JailSpec.Bind.parse(text, writable: true, cwd: cwd) }
        for item in env {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw .invalid("--env", "expected KEY=VALUE, got '\(item)'")
            }
            spec.environment.append((String(item[..<eq]), String(item[item.index(after: eq)...])))
        }
        spec.workdir = workdir
        spec.stdinPath = stdin
        spec.seccompProgram = try SeccompPolicy.program(named: seccomp).bytes
        try spec.validate()
        return spec
    }
}
