import ArgumentParser
import Egress
import EgressProxy
import JSON
import Jail
import Service
import ToolRuntime

#if canImport(Glibc)
import Glibc
#endif

/// `omega-exec jail [options] -- PROGRAM [ARGS...]` (DESIGN §2: the flags are a contract).
struct JailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jail",
        abstract: "Run a program in the jail and report the verdict.",
        discussion: """
            Without --json the program's output streams through and omega-exec exits with the program's \
            exit code (128+signal when signaled, 124 on timeout, 125 on a setup error) and names the \
            verdict on stderr when it is not ok. With --json it prints the result object.

            --egress HOST[:PORT] lets the program reach that host (port 443 when none is given; \
            `*.example.org` for the names below a domain, `*` for any host name) through the egress \
            proxy, and nothing else: HTTP_PROXY and HTTPS_PROXY point at it, it resolves names itself, \
            refuses internal addresses and records every connection (on stderr, or as "egress" in the \
            JSON result). The system's CA certificates are mounted read-only for TLS.
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
    @Option(help: "A host the program may reach through the egress proxy, HOST[:PORT] (repeatable).")
    var egress: [String] = []
    @Argument(parsing: .postTerminator, help: "The program and its arguments.") var command: [String] = []

    /// The flags as a plain invocation (shared with the fast path in `main.swift`).
    var invocation: JailInvocation {
        JailInvocation(
            json: json, timeout: timeout, cpuTime: cpuTime, memory: memory, pids: pids,
            outputLimit: outputLimit, tmpfsSize: tmpfsSize, net: net, roBind: roBind, bind: bind,
            env: env, workdir: workdir, seccomp: seccomp, stdin: stdin, command: command)
    }

    func run() async throws {
        let jail = JailInvocation.makeJail()
        let spec: JailSpec
        var rules: [EgressRule] = []
        do throws(JailError) {
            spec = try invocation.makeSpec()
            for text in egress {
                do {
                    rules.append(try EgressRule(parsing: text))
                } catch {
                    throw JailError.invalid("egress", "\(error.message), got '\(text)'")
                }
            }
            if !rules.isEmpty && spec.network != .loopback {
                throw JailError.invalid("egress", "expected --net loopback (the default) with --egress")
            }
        } catch {
            CLIOutput.error("omega-exec jail: \(error.message)\nSee 'omega-exec jail --help'.")
            throw ExitCode(64)  // EX_USAGE, like swift-argument-parser's own validation errors
        }
        guard !rules.isEmpty else { throw ExitCode(JailInvocation.execute(spec, in: jail, json: json)) }
        throw ExitCode(await runWithEgress(spec, rules: rules, jail: jail))
    }

    /// The run with a proxy of its own: connections on stderr as they end, or in the JSON result.
    private func runWithEgress(_ spec: JailSpec, rules: [EgressRule], jail: Jail) async -> Int32 {
        let json = json
        let outcome: EgressJailRun.Outcome
        do {
            outcome = try await EgressJailRun.run(
                spec, rules: rules, in: jail, output: json ? .capture : .passthrough(stdout: 1, stderr: 2)
            ) { record in
                if !json {
                    CLIOutput.error("omega-exec jail: egress " + RunProgress.egressLine(record.json.objectValue ?? [:]))
                }
            }
        } catch {
            CLIOutput.error("omega-exec jail: \(error)")
            return 125
        }
        guard json else { return JailInvocation.exitCode(reporting: outcome.result) }
        guard case .object(var fields)? = try? JSONParser().parse(outcome.result.json()) else { return 125 }
        fields["egress"] = .array(outcome.connections.map(\.json))
        CLIOutput.out(JSONValue.object(fields).jsonText + "\n")
        return 0
    }
}
