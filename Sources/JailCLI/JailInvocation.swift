import Jail

/// One `omega-exec jail` invocation, however its flags were parsed: turns them into a `JailSpec`,
/// runs it and reports the verdict (DESIGN §2's CLI contract).
public struct JailInvocation: Sendable {
    /// An invocation with every flag at its default.
    public init(
        json: Bool = false, timeout: Double = JailLimits.defaults.wallSeconds, cpuTime: Double? = nil,
        memory: String = JailInvocation.defaultMemory, pids: Int = JailLimits.defaults.pids,
        outputLimit: String = JailInvocation.defaultOutputLimit, tmpfsSize: String = "64M", net: String = "loopback", roBind: [String] = [],
        bind: [String] = [], env: [String] = [], workdir: String = "/work", seccomp: String = "default",
        stdin: String? = nil, command: [String] = []
    ) {
        self.json = json
        self.timeout = timeout
        self.cpuTime = cpuTime
        self.memory = memory
        self.pids = pids
        self.outputLimit = outputLimit
        self.tmpfsSize = tmpfsSize
        self.net = net
        self.roBind = roBind
        self.bind = bind
        self.env = env
        self.workdir = workdir
        self.seccomp = seccomp
        self.stdin = stdin
        self.command = command
    }

    /// The jail's default memory limit as a `--memory` size (`256M`).
    public static let defaultMemory = "\(JailLimits.defaults.memoryBytes >> 20)M"
    /// The jail's default output limit as an `--output-limit` size (`1M`).
    public static let defaultOutputLimit = "\(JailLimits.defaults.outputBytes >> 20)M"

    /// The `--json` value.
    public var json = false
    /// The `--timeout` value.
    public var timeout: Double = JailLimits.defaults.wallSeconds
    /// The `--cpuTime` value.
    public var cpuTime: Double?
    /// The `--memory` value.
    public var memory = JailInvocation.defaultMemory
    /// The `--pids` value.
    public var pids = JailLimits.defaults.pids
    /// The `--outputLimit` value.
    public var outputLimit = JailInvocation.defaultOutputLimit
    /// The `--tmpfsSize` value.
    public var tmpfsSize = "64M"
    /// The `--net` value.
    public var net = "loopback"
    /// The `--roBind` value.
    public var roBind: [String] = []
    /// The `--bind` value.
    public var bind: [String] = []
    /// The `--env` value.
    public var env: [String] = []
    /// The `--workdir` value.
    public var workdir = "/work"
    /// The `--seccomp` value.
    public var seccomp = "default"
    /// The `--stdin` value.
    public var stdin: String?
    /// The `--command` value.
    public var command: [String] = []

    /// A jail for one run per process: its network namespace is made in the background while the
    /// spec is built, and no cgroup pool is filled only to be torn down.
    public static func makeJail() -> Jail {
        var configuration = Jail.Configuration()
        configuration.cgroupPoolSize = 0
        configuration.networkNamespacePool = 1
        return Jail(configuration: configuration)
    }

    /// The spec, or an error naming the flag and what it expects.
    public func makeSpec() throws(JailError) -> JailSpec {
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
        for text in roBind { spec.binds.append(try JailSpec.Bind.parse(text, writable: false, cwd: cwd)) }
        for text in bind { spec.binds.append(try JailSpec.Bind.parse(text, writable: true, cwd: cwd)) }
        for item in env {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw .invalid("--env", "expected KEY=VALUE, got '\(item)'")
            }
            spec.environment.append((String(item[..<eq]), String(item[item.index(after: eq)...])))
        }
        spec.workdir = workdir
        spec.stdinPath = stdin
        try spec.validate()
        spec.seccompProgram = try SeccompPolicy.program(named: seccomp).bytes
        return spec
    }

    /// Runs `spec` in `jail` and returns the process exit code: 0 after printing the JSON result,
    /// or the program's own code (128+signal, 124 timeout, 125 setup error) with a verdict line.
    public static func execute(_ spec: JailSpec, in jail: Jail, json: Bool) -> Int32 {
        let result: JailResult
        do {
            result = try jail.run(spec, output: json ? .capture : .passthrough(stdout: 1, stderr: 2))
        } catch {
            CLIOutput.error("omega-exec jail: \(error.message)")
            return 125
        }
        if json {
            CLIOutput.out(result.json() + "\n")
            return 0
        }
        return exitCode(reporting: result)
    }

    /// The program's own exit code (128+signal, 124 timeout, 125 setup error), after a line on stderr
    /// naming the verdict when it is not ok.
    public static func exitCode(reporting result: JailResult) -> Int32 {
        if result.status != .ok {
            var line = "omega-exec jail: \(result.status.rawValue)"
            if let code = result.exitCode, result.status == .runtimeError { line += " (exit \(code))" }
            if let signal = result.signal, result.status == .signaled { line += " (signal \(signal))" }
            if let error = result.error { line += ": \(error)" }
            CLIOutput.error(line)
        }
        return result.shellExitCode
    }

    /// Parses `omega-exec jail` arguments without reflection (the hot path of every jailed run).
    /// Returns nil for anything it does not accept (help, unknown flags, malformed numbers), so that
    /// swift-argument-parser handles it and prints its usual help or error.
    public static func parseFast(_ arguments: ArraySlice<String>) -> JailInvocation? {
        var invocation = JailInvocation()
        var rest = arguments
        while let argument = rest.popFirst() {
            if argument == "--" {
                invocation.command = Array(rest)
                return invocation.command.isEmpty ? nil : invocation
            }
            var name = argument
            var inlineValue: String?
            if let eq = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<eq])
                inlineValue = String(argument[argument.index(after: eq)...])
            }
            if name == "--json" {
                guard inlineValue == nil else { return nil }
                invocation.json = true
                continue
            }
            guard let value = inlineValue ?? rest.popFirst() else { return nil }
            switch name {
            case "--timeout": guard let v = Double(value) else { return nil }; invocation.timeout = v
            case "--cpu-time": guard let v = Double(value) else { return nil }; invocation.cpuTime = v
            case "--memory": invocation.memory = value
            case "--pids": guard let v = Int(value) else { return nil }; invocation.pids = v
            case "--output-limit": invocation.outputLimit = value
            case "--tmpfs-size": invocation.tmpfsSize = value
            case "--net": invocation.net = value
            case "--ro-bind": invocation.roBind.append(value)
            case "--bind": invocation.bind.append(value)
            case "--env": invocation.env.append(value)
            case "--workdir": invocation.workdir = value
            case "--seccomp": invocation.seccomp = value
            case "--stdin": invocation.stdin = value
            default: return nil
            }
        }
        return nil
    }
}
