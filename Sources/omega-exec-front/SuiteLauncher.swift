#if canImport(Glibc)
import Glibc
#endif

/// Hands the command line to `omega-exec-suite`: `$OMEGA_EXEC_SUITE`, else the executable beside
/// this one.
enum SuiteLauncher {
    static func exec(_ arguments: [String]) -> Never {
        let path = suitePath()
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv(path, &argv)
        let reason = String(cString: strerror(errno))
        let message = "omega-exec: cannot run \(path): \(reason) (build it with `swift build`, or set OMEGA_EXEC_SUITE)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(127)
    }

    private static func suitePath() -> String {
        if let value = getenv("OMEGA_EXEC_SUITE"), value.pointee != 0 { return String(cString: value) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "omega-exec-suite" }
        var exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = exe.last, last != "/" { exe.removeLast() }
        return exe + "omega-exec-suite"
    }
}
