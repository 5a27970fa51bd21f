import Foundation

#if canImport(Testing)
import Testing
#endif

/// Runs a host program to completion the way the end-to-end tests need: stdin from /dev/null,
/// stdout and stderr captured through files (no pipe can fill up and deadlock), killed with SIGKILL
/// (and an issue recorded) after `timeout` seconds.
public enum HostProcess {
    /// How the program ended and what it printed.
    public struct Result: Sendable {
        /// Its pid (to look for leftovers).
        public var pid: Int32
        /// Its exit status (or the signal's, when killed).
        public var status: Int32
        /// What it wrote to stdout.
        public var stdout: String
        /// What it wrote to stderr.
        public var stderr: String
    }

    /// Runs `argv` (`argv[0]` is the executable's path) with the current environment plus `environment`.
    public static func run(_ argv: [String], environment: [String: String] = [:], timeout: Double) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let base = NSTemporaryDirectory() + "omega-process-\(getpid())-\(UUID().uuidString)"
        let paths = (out: base + ".out", err: base + ".err")
        _ = FileManager.default.createFile(atPath: paths.out, contents: nil)
        _ = FileManager.default.createFile(atPath: paths.err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: paths.out)
            try? FileManager.default.removeItem(atPath: paths.err)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.out))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.err))
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try? out.close()
        try? err.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            #if canImport(Testing)
            Issue.record("\(argv.joined(separator: " ")) did not finish within \(timeout) s and was killed")
            #endif
        }
        process.waitUntilExit()
        let read = { (path: String) in
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Result(
            pid: process.processIdentifier, status: process.terminationStatus, stdout: read(paths.out),
            stderr: read(paths.err))
    }
}
