#if os(Linux)
import CJail

/// The launch blob `omega-jail-init` reads from fd 4 (layout: `struct cj_launch_header`).
enum LaunchBlob {
    /// Serializes the launch into a sealed-off memory file and returns its descriptor (>= 3).
    ///
    /// - Parameter egressPort: the TCP port the init listens on at 127.0.0.1 and relays to the
    ///   egress socket, or 0 for no egress (the init then only launches and reaps).
    static func memfd(
        program: String, arguments: [String], environment: [String], searchPath: [String],
        seccomp: [UInt8], trace: Bool, egressPort: UInt16 = 0
    ) throws(JailError) -> Int32 {
        var strings: [UInt8] = []
        for item in [program] + arguments + environment + searchPath {
            strings.append(contentsOf: item.utf8)
            strings.append(0)
        }
        var header = cj_launch_header()
        header.magic = UInt32(CJ_LAUNCH_MAGIC)
        header.argc = UInt32(arguments.count)
        header.envc = UInt32(environment.count)
        header.pathc = UInt32(searchPath.count)
        header.seccomp_len = UInt32(seccomp.count / 8)
        header.seccomp_flags = 0
        header.trace = trace ? 1 : 0
        header.strings_len = UInt32(strings.count)
        header.egress_port = UInt32(egressPort)
        header.reserved = 0
        var blob = withUnsafeBytes(of: &header) { Array($0) }
        blob += strings
        while blob.count % 8 != 0 { blob.append(0) }
        blob += seccomp
        return try blob.withUnsafeBytes { bytes in
            Result { () throws(JailError) in try Syscalls.memoryFile(bytes, step: "launch blob") }
        }.get()
    }
}
#endif
