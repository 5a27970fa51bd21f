import CSeccomp
import Synchronization
import SystemCalls

/// A compiled seccomp filter: an array of `struct sock_filter` (8 bytes each, host byte order), ready for
/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){ instructionCount, bytes })`.
public struct SeccompProgram: Sendable, Hashable {
    /// The kernel's limit on the length of one classic BPF program (`BPF_MAXINSNS`).
    public static let maximumInstructionCount = 4096

    /// The instructions, 8 bytes each.
    public let bytes: [UInt8]

    /// The number of instructions (`bytes.count / 8`).
    public var instructionCount: Int { bytes.count / 8 }

    /// Wraps instructions after checking their shape.
    /// - Parameter bytes: `struct sock_filter` entries, 8 bytes each.
    /// - Throws: ``SeccompError`` with code ``SeccompError/compileFailed`` when the length is not a positive multiple
    ///   of 8, exceeds ``maximumInstructionCount`` instructions, or the last instruction is not a return.
    public init(bytes: [UInt8]) throws(SeccompError) {
        guard !bytes.isEmpty, bytes.count % 8 == 0 else {
            throw SeccompError(
                code: .compileFailed,
                message: "a BPF program is a non-empty multiple of 8 bytes, got \(bytes.count)")
        }
        guard bytes.count / 8 <= Self.maximumInstructionCount else {
            throw SeccompError(
                code: .compileFailed,
                message:
                    "the BPF program has \(bytes.count / 8) instructions, more than the kernel's \(Self.maximumInstructionCount)"
            )
        }
        let lastCode = UInt16(bytes[bytes.count - 8]) | UInt16(bytes[bytes.count - 7]) << 8
        guard lastCode & 0x07 == SeccompBPF.ret else {
            throw SeccompError(code: .compileFailed, message: "the BPF program does not end with a return")
        }
        self.bytes = bytes
    }
}

/// Programs compiled in this process, keyed by the exact profile bytes and the architecture. Thread-safe.
public final class SeccompProgramCache: Sendable {
    /// The cache that ``SeccompCompiler/compileCached(profileBytes:cacheDirectory:memoryCache:)`` uses by default.
    public static let shared = SeccompProgramCache()

    /// More entries than this empties the cache (a process normally uses one or two profiles).
    static let capacity = 64

    struct Key: Hashable {
        var profileBytes: [UInt8]
        var architecture: SeccompProfile.Architecture

        /// Hashes the bytes as one block (element-wise hashing of a 10 KB profile is measurable).
        func hash(into hasher: inout Hasher) {
            profileBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
            hasher.combine(architecture)
        }
    }

    private let storage = Mutex<[Key: SeccompProgram]>([:])

    /// Creates an empty cache.
    public init() {}

    /// The number of programs held.
    public var count: Int { storage.withLock { $0.count } }

    /// Forgets every program.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }

    func program(for key: Key) -> SeccompProgram? {
        storage.withLock { $0[key] }
    }

    func store(_ program: SeccompProgram, for key: Key) {
        storage.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = program
        }
    }
}

/// Compiles ``SeccompProfile``s to BPF with libseccomp, with an in-memory and an on-disk cache.
///
/// The program has up to three parts, each falling through to the next:
/// 1. when the profile sets `unknownSyscallErrno`: a hand-written prefix returning that errno for numbers above the
///    highest libseccomp knows for the architecture (x32 numbers excepted), so that system calls newer than
///    libseccomp fail like on an older kernel;
/// 2. the refusal stage: a libseccomp filter with every `errno`/`kill` rule and default "continue" (its
///    `ret ALLOW` instructions are rewritten into forward jumps to part 3, which keeps every offset valid);
/// 3. the allow stage: a libseccomp filter with every `allow` rule and the profile's default action.
///
/// Two stages are needed because libseccomp 2.5 silently drops a conditional rule when the same system call also
/// has an unconditional one (`ioctl` allowed except `TIOCSTI`), and refuses rules whose action is the default.
/// Both stages check the architecture first and apply `badArchAction` to foreign ones (i386 via `int 0x80`);
/// libseccomp also applies it to x32 numbers (bit 0x40000000) on x86_64.
public enum SeccompCompiler {
    /// Bumped whenever the compiler's output for a given profile changes; part of the disk-cache key.
    static let programFormatVersion = 1

    // MARK: Environment

    /// The version of the libseccomp linked in, e.g. `2.5.4`.
    public static var libseccompVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }

    /// The architecture of this process, if the profile format knows it.
    public static var nativeArchitecture: SeccompProfile.Architecture? {
        SeccompProfile.Architecture(auditToken: seccomp_arch_native())
    }

    private static let highestKnownCache = Mutex<[SeccompProfile.Architecture: Int32]>([:])

    /// The highest system call number libseccomp can name for `architecture` (x32 numbers excluded).
    ///
    /// Found by scanning `seccomp_syscall_resolve_num_arch` over 0...1023 once per process.
    public static func highestKnownSyscall(for architecture: SeccompProfile.Architecture) -> Int32 {
        if let cached = highestKnownCache.withLock({ $0[architecture] }) { return cached }
        var highest: Int32 = -1
        for number in Int32(0)..<1024 {
            if let name = seccomp_syscall_resolve_num_arch(architecture.auditToken, number) {
                highest = number
                SeccompIO.free(name)
            }
        }
        highestKnownCache.withLock { $0[architecture] = highest }
        return highest
    }

    /// The number of system call `name` on `architecture`, or nil when libseccomp does not know it there.
    /// - Parameters:
    ///   - name: a system call name, e.g. `openat`.
    ///   - architecture: the architecture whose numbering to use.
    public static func syscallNumber(named name: String, for architecture: SeccompProfile.Architecture) -> Int32? {
        let number = seccomp_syscall_resolve_name_arch(architecture.auditToken, name)
        return number >= 0 ? number : nil
    }

    // MARK: Compiling

    /// Compiles a profile for one architecture.
    ///
    /// A name that the architecture lacks (e.g. `open` on aarch64) is skipped for it; a name that libseccomp knows
    /// for none of the profile's architectures is an error.
    /// - Parameters:
    ///   - profile: the profile.
    ///   - architecture: the architecture to filter for; nil means the running one. It must be listed by the profile.
    /// - Returns: the program. It allows nothing for other architectures: they get `badArchAction`.
    /// - Throws: ``SeccompError`` with code ``SeccompError/profileInvalid`` (unknown name),
    ///   ``SeccompError/compileFailed`` (architecture not listed or unsupported, libseccomp failure, too long).
    public static func compile(
        _ profile: SeccompProfile, architecture: SeccompProfile.Architecture? = nil
    ) throws(SeccompError) -> SeccompProgram {
        let target: SeccompProfile.Architecture
        if let architecture { target = architecture } else { target = try requireNativeArchitecture() }
        guard profile.architectures.contains(target) else {
            throw SeccompError(
                code: .compileFailed,
                message:
                    "the profile lists \(profile.architectures.map(\.rawValue).joined(separator: ", ")), not \(target.rawValue)"
            )
        }
        try profile.validate()

        var refusals: [ResolvedRule] = []
        var allows: [ResolvedRule] = []
        for (i, rule) in profile.rules.enumerated() {
            for (j, name) in rule.names.enumerated() {
                let knownSomewhere = profile.architectures.contains { architecture in
                    seccomp_syscall_resolve_name_arch(architecture.auditToken, name) != scmpError
                }
                guard knownSomewhere else {
                    throw SeccompError.invalid(
                        "syscalls[\(i)].names[\(j)]",
                        "unknown system call \"\(name)\" (libseccomp \(libseccompVersion) knows no such call for \(profile.architectures.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                // Absent on this architecture (libseccomp answers with a negative pseudo number): nothing to filter.
                guard seccomp_syscall_resolve_name_arch(target.auditToken, name) >= 0 else { continue }
                // seccomp_rule_add_* take the number in the native architecture's numbering and translate it.
                let number = seccomp_syscall_resolve_name(name)
                let resolved = ResolvedRule(path: "syscalls[\(i)]", name: name, number: number, rule: rule)
                if rule.action.isRefusal { refusals.append(resolved) } else { allows.append(resolved) }
            }
        }

        var instructions: [UInt8] = []
        if let code = profile.unknownSyscallErrno {
            instructions += unknownSyscallPrefix(
                architecture: target, highestKnown: highestKnownSyscall(for: target), errno: code)
        }
        if !refusals.isEmpty {
            let stage = try buildStage(
                architecture: target, defaultAction: actionValue(.allow), badArchAction: profile.badArchAction,
                rules: refusals)
            instructions += continuing(stage)
        }
        instructions += try buildStage(
            architecture: target, defaultAction: actionValue(profile.defaultAction),
            badArchAction: profile.badArchAction,
            rules: allows)
        return try SeccompProgram(bytes: instructions)
    }

    /// Decodes and compiles profile bytes for the running architecture, reusing earlier results.
    ///
    /// Looks in `memoryCache`, then in `<cacheDirectory>/seccomp-<hash>.bpf`, and compiles only on a miss, storing
    /// the result in both. The hash covers the profile bytes, the libseccomp version, the architecture and the
    /// compiler's output format. The directory is created with mode 0700 when missing; it must be owned by the
    /// effective user and not writable by group or others, or this throws. A cache file that is not a regular file
    /// owned by the effective user, is writable by group or others, or is not a plausible program is never used:
    /// it is recompiled and atomically replaced. Failing to write the cache does not fail the call.
    /// - Parameters:
    ///   - profileBytes: the profile's JSON, as read from its file.
    ///   - cacheDirectory: where compiled programs are kept; nil for the in-memory cache only.
    ///   - memoryCache: the in-process cache (``SeccompProgramCache/shared`` by default).
    /// - Returns: the program for the running architecture.
    /// - Throws: ``SeccompError``: the profile's errors, ``SeccompError/cacheUnsafe`` for an untrustworthy
    ///   directory, ``SeccompError/ioFailed`` when the directory cannot be created or opened.
    public static func compileCached(
        profileBytes: [UInt8], cacheDirectory: String?, memoryCache: SeccompProgramCache = .shared
    ) throws(SeccompError) -> SeccompProgram {
        let architecture = try requireNativeArchitecture()
        let key = SeccompProgramCache.Key(profileBytes: profileBytes, architecture: architecture)
        if let program = memoryCache.program(for: key) { return program }

        var directory: Int32?
        if let cacheDirectory { directory = try openPrivateDirectory(cacheDirectory) }
        defer { if let directory { SeccompIO.close(directory) } }

        let fileName = "seccomp-\(diskCacheHash(profileBytes: profileBytes, architecture: architecture)).bpf"
        if let directory, let program = readCachedProgram(in: directory, fileName) {
            memoryCache.store(program, for: key)
            return program
        }
        let program = try compile(SeccompProfile.decode(profileBytes), architecture: architecture)
        if let directory { try? writeCachedProgram(program, in: directory, fileName) }
        memoryCache.store(program, for: key)
        return program
    }

    // MARK: Stages

    private struct ResolvedRule {
        var path: String
        var name: String
        var number: Int32
        var rule: SeccompProfile.Rule
    }

    private static let scmpError: Int32 = -1  // __NR_SCMP_ERROR

    private static func requireNativeArchitecture() throws(SeccompError) -> SeccompProfile.Architecture {
        guard let native = nativeArchitecture else {
            throw SeccompError(
                code: .compileFailed,
                message: "unsupported architecture (audit token 0x\(String(seccomp_arch_native(), radix: 16)))")
        }
        return native
    }

    static func actionValue(_ action: SeccompProfile.Action) -> UInt32 {
        switch action {
        case .allow: return 0x7fff_0000  // SCMP_ACT_ALLOW == SECCOMP_RET_ALLOW
        case .errno(let code): return 0x0005_0000 | (UInt32(code) & 0xffff)  // SECCOMP_RET_ERRNO | errno
        case .kill: return 0x8000_0000  // SCMP_ACT_KILL_PROCESS == SECCOMP_RET_KILL_PROCESS
        }
    }

    private static func comparison(_ op: SeccompProfile.ArgumentCondition.Operator) -> scmp_compare {
        switch op {
        case .eq: return SCMP_CMP_EQ
        case .ne: return SCMP_CMP_NE
        case .lt: return SCMP_CMP_LT
        case .le: return SCMP_CMP_LE
        case .gt: return SCMP_CMP_GT
        case .ge: return SCMP_CMP_GE
        case .maskedEq: return SCMP_CMP_MASKED_EQ
        }
    }

    private static func libseccompFailure(_ step: String, _ rc: Int32) -> SeccompError {
        SeccompError(
            code: .compileFailed, message: "\(step): libseccomp returned \(rc)",
            errno: rc < 0 ? -rc : nil)
    }

    /// One libseccomp filter for `architecture` only, exported as SeccompBPF.
    private static func buildStage(
        architecture: SeccompProfile.Architecture, defaultAction: UInt32, badArchAction: SeccompProfile.Action,
        rules: [ResolvedRule]
    ) throws(SeccompError) -> [UInt8] {
        guard let context = seccomp_init(defaultAction) else {
            throw SeccompError(code: .compileFailed, message: "seccomp_init failed")
        }
        defer { seccomp_release(context) }

        let native = seccomp_arch_native()
        if architecture.auditToken != native {
            var rc = seccomp_arch_add(context, architecture.auditToken)
            if rc < 0 { throw libseccompFailure("seccomp_arch_add \(architecture.rawValue)", rc) }
            rc = seccomp_arch_remove(context, native)
            if rc < 0 { throw libseccompFailure("seccomp_arch_remove native", rc) }
        }
        let attributes: [(scmp_filter_attr, UInt32, String)] = [
            (SCMP_FLTATR_ACT_BADARCH, actionValue(badArchAction), "badArchAction"),
            (SCMP_FLTATR_CTL_NNP, 0, "no_new_privs off (the jail sets it)"),
            (SCMP_FLTATR_CTL_OPTIMIZE, 2, "binary-tree optimization"),
        ]
        for (attribute, value, label) in attributes {
            let rc = seccomp_attr_set(context, attribute, value)
            if rc < 0 { throw libseccompFailure("seccomp_attr_set \(label)", rc) }
        }

        for resolved in rules {
            let comparisons = resolved.rule.conditions.map { condition in
                scmp_arg_cmp(
                    arg: UInt32(condition.index), op: comparison(condition.op), datum_a: condition.value,
                    datum_b: condition.valueTwo)
            }
            let rc = comparisons.withUnsafeBufferPointer { buffer in
                seccomp_rule_add_exact_array(
                    context, actionValue(resolved.rule.action), resolved.number, UInt32(buffer.count),
                    buffer.baseAddress)
            }
            if rc < 0 {
                throw SeccompError(
                    code: .compileFailed,
                    message: "\(resolved.path) (\(resolved.name)): libseccomp refused the rule (\(rc))", errno: -rc)
            }
        }

        let fd = try SeccompIO.memfdCreate("omega-seccomp")
        defer { SeccompIO.close(fd) }
        let rc = seccomp_export_bpf(context, fd)
        if rc < 0 { throw libseccompFailure("seccomp_export_bpf", rc) }
        try SeccompIO.rewind(fd, step: "lseek memfd")
        let bytes = try SeccompIO.readAll(
            fd, limit: SeccompProgram.maximumInstructionCount * 8, step: "read exported BPF")
        guard !bytes.isEmpty, bytes.count % 8 == 0 else {
            throw SeccompError(
                code: .compileFailed, message: "seccomp_export_bpf wrote \(bytes.count) bytes")
        }
        return bytes
    }

    /// Rewrites every `ret ALLOW` of a stage into `ja <end of stage>`, so that the next stage decides.
    ///
    /// Both are single instructions and classic BPF jumps are relative, so no other offset changes.
    static func continuing(_ stage: [UInt8]) -> [UInt8] {
        var result = stage
        let count = stage.count / 8
        for index in 0..<count {
            let instruction = SeccompBPF.Instruction(stage, at: index)
            if instruction.code == SeccompBPF.ret | SeccompBPF.k, instruction.k == actionValue(.allow) {
                SeccompBPF.Instruction(code: SeccompBPF.jmp | SeccompBPF.ja, k: UInt32(count - index - 1)).write(
                    into: &result, at: index)
            }
        }
        return result
    }

    /// `if arch == A && nr <= 0x3fffffff (x86_64 only) && nr > highest: return ERRNO(errno)`, else fall through.
    static func unknownSyscallPrefix(
        architecture: SeccompProfile.Architecture, highestKnown: Int32, errno: Int32
    ) -> [UInt8] {
        // seccomp_data.nr is at offset 0, seccomp_data.arch at offset 4.
        let loadArch = SeccompBPF.Instruction(code: SeccompBPF.ld | SeccompBPF.w | SeccompBPF.abs, k: 4)
        let loadNumber = SeccompBPF.Instruction(code: SeccompBPF.ld | SeccompBPF.w | SeccompBPF.abs, k: 0)
        let fail = SeccompBPF.Instruction(code: SeccompBPF.ret | SeccompBPF.k, k: actionValue(.errno(errno)))
        var instructions: [SeccompBPF.Instruction]
        if architecture == .x86_64 {
            // 0 ld arch; 1 jeq A ? 2 : end; 2 ld nr; 3 jge x32 ? end : 4; 4 jgt max ? 5 : end; 5 ret; end = 6
            instructions = [
                loadArch,
                SeccompBPF.Instruction(
                    code: SeccompBPF.jmp | SeccompBPF.jeq | SeccompBPF.k, jt: 0, jf: 4, k: architecture.auditToken),
                loadNumber,
                SeccompBPF.Instruction(
                    code: SeccompBPF.jmp | SeccompBPF.jge | SeccompBPF.k, jt: 2, jf: 0, k: 0x4000_0000),
                SeccompBPF.Instruction(
                    code: SeccompBPF.jmp | SeccompBPF.jgt | SeccompBPF.k, jt: 0, jf: 1, k: UInt32(highestKnown)),
                fail,
            ]
        } else {
            // 0 ld arch; 1 jeq A ? 2 : end; 2 ld nr; 3 jgt max ? 4 : end; 4 ret; end = 5
            instructions = [
                loadArch,
                SeccompBPF.Instruction(
                    code: SeccompBPF.jmp | SeccompBPF.jeq | SeccompBPF.k, jt: 0, jf: 3, k: architecture.auditToken),
                loadNumber,
                SeccompBPF.Instruction(
                    code: SeccompBPF.jmp | SeccompBPF.jgt | SeccompBPF.k, jt: 0, jf: 1, k: UInt32(highestKnown)),
                fail,
            ]
        }
        var bytes: [UInt8] = []
        for instruction in instructions { instruction.append(to: &bytes) }
        return bytes
    }

    // MARK: Disk cache

    /// FNV-1a (64-bit) of everything that determines the program. It names the file only: the cache's integrity
    /// rests on the ownership and permission checks, not on this hash.
    static func diskCacheHash(profileBytes: [UInt8], architecture: SeccompProfile.Architecture) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence<UInt8>>(_ bytes: S) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x0000_0100_0000_01b3
        }
        mix("omega-exec seccomp v\(programFormatVersion)".utf8)
        mix(libseccompVersion.utf8)
        mix(architecture.rawValue.utf8)
        mix(profileBytes)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Creates (0700) and opens the cache directory, refusing one a different user could write.
    private static func openPrivateDirectory(_ path: String) throws(SeccompError) -> Int32 {
        try SeccompIO.makeDirectories(path)
        let fd: Int32
        do throws(SeccompError) {
            fd = try SeccompIO.openDirectory(path)
        } catch  where error.errno == 40 /* ELOOP */ || error.errno == 20 /* ENOTDIR */ {
            throw SeccompError(
                code: .cacheUnsafe, message: "seccomp cache \(path) is not a directory (or is a symlink)")
        }
        do throws(SeccompError) {
            let status = try SeccompIO.status(fd, step: "fstat \(path)")
            guard status.kind == .directory, status.ownerUID == SeccompIO.effectiveUID, !status.isWritableByOthers
            else {
                throw SeccompError(
                    code: .cacheUnsafe,
                    message:
                        "seccomp cache \(path) must be a directory owned by uid \(SeccompIO.effectiveUID) and not writable by group or others (owner \(status.ownerUID), mode \(String(status.permissions, radix: 8)))"
                )
            }
        } catch {
            SeccompIO.close(fd)
            throw error
        }
        return fd
    }

    /// The cached program, or nil when absent or untrustworthy.
    private static func readCachedProgram(in directory: Int32, _ name: String) -> SeccompProgram? {
        guard let fd = try? SeccompIO.openForReading(in: directory, name) else { return nil }
        defer { SeccompIO.close(fd) }
        guard let status = try? SeccompIO.status(fd, step: "fstat \(name)"), status.kind == .regular,
            status.ownerUID == SeccompIO.effectiveUID, !status.isWritableByOthers,
            status.size > 0, status.size % 8 == 0, status.size / 8 <= SeccompProgram.maximumInstructionCount,
            let bytes = try? SeccompIO.readAll(fd, limit: Int(status.size), step: "read \(name)"),
            bytes.count == status.size
        else { return nil }
        return try? SeccompProgram(bytes: bytes)
    }

    /// Writes `<name>` atomically: a private temporary file, fsync, rename over the old one.
    private static func writeCachedProgram(
        _ program: SeccompProgram, in directory: Int32, _ name: String
    ) throws(SeccompError) {
        let temporary = ".\(name).\(SeccompIO.processID).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = try SeccompIO.createExclusive(in: directory, temporary)
        do throws(SeccompError) {
            defer { SeccompIO.close(fd) }
            try SeccompIO.writeAll(fd, program.bytes, step: "write \(temporary)")
            try SeccompIO.sync(fd, step: "fsync \(temporary)")
        } catch {
            SeccompIO.unlink(in: directory, temporary)
            throw error
        }
        do throws(SeccompError) {
            try SeccompIO.rename(in: directory, temporary, to: name)
        } catch {
            SeccompIO.unlink(in: directory, temporary)
            throw error
        }
    }
}

extension SeccompProfile.Architecture {
    /// The `AUDIT_ARCH_*` value the kernel reports in `seccomp_data.arch` (and libseccomp's arch token).
    public var auditToken: UInt32 {
        switch self {
        case .x86_64: return 0xc000_003e  // AUDIT_ARCH_X86_64
        case .aarch64: return 0xc000_00b7  // AUDIT_ARCH_AARCH64
        }
    }

    /// The architecture whose `AUDIT_ARCH_*` value is `auditToken`, if the profile format knows it.
    /// - Parameter auditToken: an `AUDIT_ARCH_*` value.
    public init?(auditToken: UInt32) {
        guard let match = Self.allCases.first(where: { $0.auditToken == auditToken }) else { return nil }
        self = match
    }
}

/// Classic BPF encoding (linux/filter.h), for the few instructions the compiler writes or rewrites itself.
/// Instructions are encoded little-endian, the byte order of every architecture the profile format knows.
enum SeccompBPF {
    static let ld: UInt16 = 0x00
    static let jmp: UInt16 = 0x05
    static let ret: UInt16 = 0x06
    static let w: UInt16 = 0x00
    static let abs: UInt16 = 0x20
    static let ja: UInt16 = 0x00
    static let jeq: UInt16 = 0x10
    static let jgt: UInt16 = 0x20
    static let jge: UInt16 = 0x30
    static let k: UInt16 = 0x00

    /// One `struct sock_filter`.
    struct Instruction {
        var code: UInt16
        var jt: UInt8 = 0
        var jf: UInt8 = 0
        var k: UInt32

        init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32) {
            self.code = code
            self.jt = jt
            self.jf = jf
            self.k = k
        }

        init(_ bytes: [UInt8], at index: Int) {
            let base = index * 8
            code = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
            jt = bytes[base + 2]
            jf = bytes[base + 3]
            k =
                UInt32(bytes[base + 4]) | UInt32(bytes[base + 5]) << 8 | UInt32(bytes[base + 6]) << 16
                | UInt32(bytes[base + 7]) << 24
        }

        func append(to bytes: inout [UInt8]) {
            bytes += [
                UInt8(code & 0xff), UInt8(code >> 8), jt, jf,
                UInt8(k & 0xff), UInt8((k >> 8) & 0xff), UInt8((k >> 16) & 0xff), UInt8(k >> 24),
            ]
        }

        func write(into bytes: inout [UInt8], at index: Int) {
            var encoded: [UInt8] = []
            append(to: &encoded)
            bytes.replaceSubrange(index * 8..<index * 8 + 8, with: encoded)
        }
    }
}
