import Jail
import JailCLI

#if canImport(Glibc)
import Glibc
#endif

// `omega-exec`: the hot path of every jailed run. A well-formed `omega-exec jail ... -- PROGRAM` is
// parsed without reflection and run by this small binary (the jail and its CLI glue only), so that
// no other command's dependencies slow its start-up. Everything else (help, errors, every other
// command) is handed to `omega-exec-suite` beside it, with the same arguments.
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
    jail.shutdown()  // the suite reports the error; nothing of this process may outlive the exec
}
SuiteLauncher.exec(arguments)
