import Jail

#if canImport(Glibc)
import Glibc
#endif

// `omega-exec jail` is the hot path of every jailed run: a well-formed invocation is parsed without
// reflection and the jail starts at once. Everything else (help, errors, the other commands) goes
// through swift-argument-parser.
let arguments = CommandLine.arguments
if arguments.count > 2, arguments[1] == "jail", let invocation = JailInvocation.parseFast(arguments[2...]) {
    JailTrace.mark("cli: main")
    let jail = JailInvocation.makeJail()
    JailTrace.mark("cli: jail ready")
    if let spec = try? invocation.makeSpec() {
        JailTrace.mark("cli: spec ready")
        let code = JailInvocation.execute(spec, in: jail, json: invocation.json)
        JailTrace.mark("cli: run done")
        exit(code)
    }
}
OmegaExec.main()
