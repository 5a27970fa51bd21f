import Foundation
import Glibc
import JSON

#if canImport(Testing)
import Testing
#endif

/// Runs the built `omega-exec` like a user would, with a private `OMEGA_HOME`.
///
/// The binary is `$OMEGA_EXEC_BIN`, else the `omega-exec` built beside this test bundle (its directory or a
/// parent, up to `<scratch>/<config>`), else `<package>/.build/debug/omega-exec`.
public enum OmegaCLI {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What a finished command left.
    public struct Result: CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Seconds from launch to exit.
        public var seconds: Double

        /// stdout parsed as one JSON document (nil when it is not one).
        public var json: JSONValue? { try? JSONParser().parse(stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }

        public var description: String {
            "exit \(status) after \(String(format: "%.2f", seconds)) s\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
        }
    }

    /// A command still running.
    public final class Running: @unchecked Sendable {
        public let process: Process
        public let scratch: String
        public let started = Date()

        public init(process: Process, scratch: String) {
            self.process = process
            self.scratch = scratch
        }

        /// The pid (after the front `omega-exec` execs `omega-exec-suite`, the suite's pid).
        public var pid: Int32 { process.processIdentifier }

        /// Sends `signal` to the command.
        public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        /// Waits up to `timeout` seconds; then kills the command (recording an issue) and waits.
        public func wait(timeout: Double = 60) async -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
            if process.isRunning {
                #if canImport(Testing)
                Issue.record(
                    "omega-exec \(process.arguments?.joined(separator: " ") ?? "") did not finish within \(timeout) s")
                #endif
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            let seconds = Date().timeIntervalSince(started)
            let read = { (name: String) in
                String(
                    decoding: FileManager.default.contents(atPath: self.scratch + "/" + name) ?? Data(), as: UTF8.self)
            }
            let result = Result(
                status: process.terminationStatus, stdout: read("stdout"), stderr: read("stderr"), seconds: seconds)
            try? FileManager.default.removeItem(atPath: scratch)
            return result
        }
    }

    public static let binary: String? = {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["OMEGA_EXEC_BIN"], fm.isExecutableFile(atPath: path) {
            return path
        }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        for start in starts {
            var directory = start
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("omega-exec").path
                if fm.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        let standard = packageRoot + "/.build/debug/omega-exec"
        return fm.isExecutableFile(atPath: standard) ? standard : nil
    }()

    /// The package's root directory (for `Manifests/…`).
    public static let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A starter package's folder.
    public static func starter(_ name: String) -> String { packageRoot + "/Manifests/" + name }

    /// Starts `omega-exec ARGS` with `OMEGA_HOME=home` (plus `env`), stdin from `stdin` (else /dev/null).
    public static func launch(_ arguments: [String], home: String, env: [String: String] = [:], stdin: String? = nil)
        throws
        -> Running
    {
        guard let binary else { throw Failure(description: "omega-exec is not built beside the tests") }
        let scratch = NSTemporaryDirectory() + "omega-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let fm = FileManager.default
        for name in ["stdout", "stderr"] { _ = fm.createFile(atPath: scratch + "/" + name, contents: nil) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stdout"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stderr"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in environment.keys where name.hasPrefix("OMEGA_") && name != "OMEGA_EXEC_BIN" {
            environment[name] = nil
        }
        environment["OMEGA_HOME"] = home
        for (name, value) in env { environment[name] = value }
        process.environment = environment
        if let stdin {
            _ = fm.createFile(atPath: scratch + "/stdin", contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: scratch + "/stdin"))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try? out.close()
        try? err.close()
        return Running(process: process, scratch: scratch)
    }

    /// Runs `omega-exec ARGS` to completion.
    public static func run(
        _ arguments: [String], home: String, env: [String: String] = [:], stdin: String? = nil, timeout: Double = 60
    ) async throws -> Result {
        try await launch(arguments, home: home, env: env, stdin: stdin).wait(timeout: timeout)
    }

    /// Host processes whose command line contains `needle` (from /proc/*/cmdline).
    public static func processes(matching needle: String) -> [Int32] {
        let fm = FileManager.default
        var found: [Int32] = []
        for name in (try? fm.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != getpid() else { continue }
            guard let data = fm.contents(atPath: "/proc/\(name)/cmdline"), !data.isEmpty else { continue }
            let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if text.contains(needle) { found.append(pid) }
        }
        return found
    }

    /// Polls `condition` every 50 ms for up to `timeout` seconds.
    @discardableResult
    public static func poll(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try await condition() { return true }
            try? await Task.sleep(nanoseconds: 50_000_000)
        } while Date() < deadline
        return try await condition()
    }
}
