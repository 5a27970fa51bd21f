import FoundationEssentials
import Glibc
import Testing
import TestSupport

@testable import Jail

// MARK: - A classic BPF interpreter over seccomp_data (test code only)

/// `struct seccomp_data` as the kernel lays it out: nr, arch, instruction pointer, six 64-bit arguments.
private struct SeccompData {
    var nr: UInt32
    var arch: UInt32 = 0xc000_003e
    var ip: UInt64 = 0x7f00_0000_1000
    var args: [UInt64] = [0, 0, 0, 0, 0, 0]

    /// The 64 bytes the filter reads, little-endian as on x86_64 and aarch64.
    var bytes: [UInt8] {
        var result: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) {
            for i in 0..<(T.bitWidth / 8) { result.append(UInt8(truncatingIfNeeded: value >> (i * 8))) }
        }
        put(nr)
        put(arch)
        put(ip)
        for arg in args { put(arg) }
        return result
    }
}

private struct BPFFault: Error, CustomStringConvertible {
    var description: String
}

/// Runs a classic BPF program the way the kernel's seccomp does: forward jumps only, 32-bit aligned loads inside
/// seccomp_data, 16 scratch words, and the program must end by returning.
private func runBPF(_ program: [UInt8], on data: SeccompData) throws -> UInt32 {
    guard program.count % 8 == 0, !program.isEmpty else { throw BPFFault(description: "bad length \(program.count)") }
    let count = program.count / 8
    let packet = data.bytes
    var a: UInt32 = 0
    var x: UInt32 = 0
    var memory = [UInt32](repeating: 0, count: 16)
    var pc = 0
    func word(_ offset: UInt32) throws -> UInt32 {
        guard offset % 4 == 0, Int(offset) + 4 <= packet.count else {
            throw BPFFault(description: "load outside seccomp_data at \(offset)")
        }
        let o = Int(offset)
        return UInt32(packet[o]) | UInt32(packet[o + 1]) << 8 | UInt32(packet[o + 2]) << 16 | UInt32(packet[o + 3])
            << 24
    }
    var steps = 0
    while pc < count {
        steps += 1
        guard steps <= count else { throw BPFFault(description: "loop") }
        let base = pc * 8
        let code = UInt16(program[base]) | UInt16(program[base + 1]) << 8
        let jt = Int(program[base + 2])
        let jf = Int(program[base + 3])
        let k =
            UInt32(program[base + 4]) | UInt32(program[base + 5]) << 8 | UInt32(program[base + 6]) << 16
            | UInt32(program[base + 7]) << 24
        pc += 1
        let source = code & 0x08 == 0 ? k : x  // BPF_K : BPF_X
        switch code & 0x07 {
        case 0x00:  // BPF_LD
            switch code {
            case 0x20: a = try word(k)  // LD W ABS
            case 0x00: a = k  // LD IMM
            case 0x60: a = memory[Int(k & 15)]  // LD MEM
            case 0x80: a = UInt32(packet.count)  // LD LEN
            default: throw BPFFault(description: "unsupported load 0x\(String(code, radix: 16))")
            }
        case 0x01:  // BPF_LDX
            switch code {
            case 0x01: x = k
            case 0x61: x = memory[Int(k & 15)]
            case 0x81: x = UInt32(packet.count)
            default: throw BPFFault(description: "unsupported ldx 0x\(String(code, radix: 16))")
            }
        case 0x02: memory[Int(k & 15)] = a  // BPF_ST
        case 0x03: memory[Int(k & 15)] = x  // BPF_STX
        case 0x04:  // BPF_ALU
            switch code & 0xf0 {
            case 0x00: a = a &+ source
            case 0x10: a = a &- source
            case 0x20: a = a &* source
            case 0x30:
                guard source != 0 else { return 0 }
                a /= source
            case 0x40: a |= source
            case 0x50: a &= source
            case 0x60: a = source >= 32 ? 0 : a << source
            case 0x70: a = source >= 32 ? 0 : a >> source
            case 0x80: a = 0 &- a
            case 0x90:
                guard source != 0 else { return 0 }
                a %= source
            case 0xa0: a ^= source
            default: throw BPFFault(description: "unsupported alu 0x\(String(code, radix: 16))")
            }
        case 0x05:  // BPF_JMP
            let taken: Bool
            switch code & 0xf0 {
            case 0x00:
                guard pc + Int(k) < count else { throw BPFFault(description: "ja out of program") }
                pc += Int(k)
                continue
            case 0x10: taken = a == source
            case 0x20: taken = a > source
            case 0x30: taken = a >= source
            case 0x40: taken = a & source != 0
            default: throw BPFFault(description: "unsupported jump 0x\(String(code, radix: 16))")
            }
            pc += taken ? jt : jf
        case 0x06:  // BPF_RET
            return code & 0x18 == 0x10 ? a : k
        case 0x07:  // BPF_MISC
            if code & 0xf8 == 0x00 { x = a } else { a = x }  // TAX / TXA
        default:
            throw BPFFault(description: "bad class")
        }
    }
    throw BPFFault(description: "fell off the end of the program")
}

// MARK: - Helpers

private enum Verdict {
    static let allow: UInt32 = 0x7fff_0000
    static let killProcess: UInt32 = 0x8000_0000
    static func errno(_ code: Int32) -> UInt32 { 0x0005_0000 | UInt32(code) }
}

private let repositoryRoot: String = {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)  // Tests/JailTests/SeccompProfileTests.swift
    return components.joined(separator: "/")
}()

private let policyDirectory = "\(repositoryRoot)/Policies/seccomp"

private func shippedProgram(_ name: String, architecture: SeccompProfile.Architecture = .x86_64) throws
    -> SeccompProgram
{
    let (profile, _) = try SeccompProfile.load(nameOrPath: name, searchDirectories: [policyDirectory])
    return try SeccompCompiler.compile(profile, architecture: architecture)
}

private func x86(_ name: String) -> UInt32 {
    UInt32(bitPattern: seccompNumber(name, .x86_64))
}

private func seccompNumber(_ name: String, _ architecture: SeccompProfile.Architecture) -> Int32 {
    guard let number = SeccompCompiler.syscallNumber(named: name, for: architecture) else {
        preconditionFailure("\(name) is unknown on \(architecture)")
    }
    return number
}

private func verdict(
    _ program: SeccompProgram, _ name: String, _ args: [UInt64] = [],
    architecture: SeccompProfile.Architecture = .x86_64
) throws -> UInt32 {
    var data = SeccompData(nr: UInt32(bitPattern: seccompNumber(name, architecture)), arch: architecture.auditToken)
    for (i, arg) in args.enumerated() { data.args[i] = arg }
    return try runBPF(program.bytes, on: data)
}

private func expectInvalid(_ json: String, naming field: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try SeccompProfile.decode(Array(json.utf8))
        Issue.record("profile was accepted: \(json)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == SeccompError.Code.profileInvalid, sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(field), "message: \(error.message)", sourceLocation: sourceLocation)
    }
}

private let minimalPrefix = #"{"defaultAction":"errno","architectures":["x86_64"],"syscalls":"#

private func makeTemporaryDirectory() -> String { Fixture.directory("seccomp-test", mode: 0o700) }

// MARK: - Tests

@Suite(.serialized)
struct SeccompProfileTests {
    @Test func malformedProfilesAreRefusedWithTheFieldNamed() {
        expectInvalid("[]", naming: "(document)")
        expectInvalid("{", naming: "not valid JSON")
        expectInvalid(#"{"architectures":["x86_64"],"syscalls":[]}"#, naming: "defaultAction: missing")
        expectInvalid(#"{"defaultAction":"allow","architectures":["x86_64"],"syscalls":[]}"#, naming: "defaultAction:")
        expectInvalid(#"{"defaultAction":"errno","architectures":["mips"],"syscalls":[]}"#, naming: "architectures[0]:")
        expectInvalid(#"{"defaultAction":"errno","architectures":[],"syscalls":[]}"#, naming: "architectures:")
        expectInvalid(minimalPrefix + #"[], "extra": 1}"#, naming: "extra: unknown field")
        expectInvalid(
            #"{"defaultAction":"errno","defaultErrno":"EWHAT","architectures":["x86_64"],"syscalls":[]}"#,
            naming: "defaultErrno:")
        expectInvalid(minimalPrefix + #"[{"names":["read"],"action":"maybe"}]}"#, naming: "syscalls[0].action:")
        expectInvalid(minimalPrefix + #"[{"names":[],"action":"allow"}]}"#, naming: "syscalls[0].names:")
        expectInvalid(minimalPrefix + #"[{"names":["Read!"],"action":"allow"}]}"#, naming: "syscalls[0].names[0]:")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","errno":"EPERM"}]}"#, naming: "syscalls[0].errno:")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","nmaes":[]}]}"#, naming: "syscalls[0].nmaes:")
        expectInvalid(
            minimalPrefix
                + #"[{"names":["read"],"action":"allow"},{"names":["ioctl"],"action":"allow","args":[{"index":0,"op":"like","value":1}]}]}"#,
            naming: "syscalls[1].args[0].op: expected one of eq, ne, lt, le, gt, ge, masked_eq")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","args":[{"index":6,"op":"eq","value":1}]}]}"#,
            naming: "syscalls[0].args[0].index:")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","args":[{"index":0,"op":"eq","value":-1}]}]}"#,
            naming: "syscalls[0].args[0].value:")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","args":[{"index":0,"op":"eq","value":"0xZZ"}]}]}"#,
            naming: "syscalls[0].args[0].value:")
        expectInvalid(
            minimalPrefix + #"[{"names":["read"],"action":"allow","args":[{"index":0,"op":"masked_eq","value":1}]}]}"#,
            naming: "syscalls[0].args[0]:")
        expectInvalid(
            minimalPrefix
                + #"[{"names":["read"],"action":"allow","args":[{"index":0,"op":"eq","value":1,"valueTwo":2}]}]}"#,
            naming: "syscalls[0].args[0].valueTwo:")
        expectInvalid(
            minimalPrefix
                + #"[{"names":["read"],"action":"allow","args":[{"index":0,"op":"gt","value":1},{"index":0,"op":"lt","value":9}]}]}"#,
            naming: "syscalls[0].args[1].index:")
        // Contradictions that libseccomp would otherwise resolve silently.
        expectInvalid(
            minimalPrefix
                + #"[{"names":["read"],"action":"allow"},{"names":["read"],"action":"errno","errno":"EIO"}]}"#,
            naming: "syscalls[1].names:")
        expectInvalid(
            minimalPrefix
                + #"[{"names":["unshare"],"action":"errno"},{"names":["unshare"],"action":"allow","args":[{"index":0,"op":"eq","value":0}]}]}"#,
            naming: "syscalls[1]:")
    }

    @Test func unknownSyscallNameIsAnErrorNamingIt() throws {
        let profile = try SeccompProfile.decode(
            Array((minimalPrefix + #"[{"names":["read","frobnicate"],"action":"allow"}]}"#).utf8))
        do {
            _ = try SeccompCompiler.compile(profile, architecture: .x86_64)
            Issue.record("compiled a profile naming an unknown system call")
        } catch {
            #expect(error.code == SeccompError.Code.profileInvalid)
            #expect(error.message.hasPrefix("syscalls[0].names[1]:"))
            #expect(error.message.contains("frobnicate"))
        }
    }

    @Test func profileNamesResolveInSearchDirectoriesAndMissingOnesAreReported() throws {
        let (profile, bytes) = try SeccompProfile.load(
            nameOrPath: "default", searchDirectories: ["/nonexistent", policyDirectory])
        #expect(profile.defaultAction == .errno(1))
        #expect(!bytes.isEmpty)
        let byPath = try SeccompProfile.load(nameOrPath: "\(policyDirectory)/strict.json", searchDirectories: [])
        #expect(byPath.profile.rules.count > 10)
        #expect(throws: SeccompError.self) {
            try SeccompProfile.load(nameOrPath: "nope", searchDirectories: [policyDirectory])
        }
        do {
            _ = try SeccompProfile.load(nameOrPath: "nope", searchDirectories: [policyDirectory])
        } catch {
            #expect(error.code == SeccompError.Code.profileNotFound)
        }
    }

    @Test func bothShippedProfilesCompileForBothArchitectures() throws {
        for name in ["default", "strict"] {
            for architecture in SeccompProfile.Architecture.allCases {
                let program = try shippedProgram(name, architecture: architecture)
                #expect(program.instructionCount > 50)
                #expect(program.instructionCount <= SeccompProgram.maximumInstructionCount)
            }
        }
    }

    @Test func defaultProfileRefusesNamespacesAndAllowsOrdinaryCalls() throws {
        let program = try shippedProgram("default")
        let eperm = Verdict.errno(1)
        #expect(try verdict(program, "unshare", [0x1000_0000]) == eperm)
        #expect(try verdict(program, "setns") == eperm)
        #expect(try verdict(program, "read") == Verdict.allow)
        #expect(try verdict(program, "write") == Verdict.allow)
        #expect(try verdict(program, "openat") == Verdict.allow)
        #expect(try verdict(program, "rseq") == Verdict.allow)
        // clone: thread and fork flags pass, any CLONE_NEW* flag is refused.
        let threadFlags: UInt64 = 0x3d0f00  // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        #expect(try verdict(program, "clone", [threadFlags]) == Verdict.allow)
        #expect(try verdict(program, "clone", [0x0120_0011]) == Verdict.allow)  // fork(): CHILD_*TID|SIGCHLD
        for flag: UInt64 in [
            0x20000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000, 0x80,
        ] {
            #expect(try verdict(program, "clone", [0x11 | flag]) == eperm, "clone flag \(flag)")
        }
        #expect(try verdict(program, "clone3") == Verdict.errno(38))
        #expect(try verdict(program, "mount") == eperm)
        #expect(try verdict(program, "fsopen") == eperm)
        #expect(try verdict(program, "bpf") == eperm)
        #expect(try verdict(program, "io_uring_setup") == eperm)
        #expect(try verdict(program, "ptrace") == eperm)
        #expect(try verdict(program, "keyctl") == eperm)
        #expect(try verdict(program, "personality", [0]) == Verdict.allow)
        #expect(try verdict(program, "personality", [0xffff_ffff]) == Verdict.allow)
        #expect(try verdict(program, "personality", [0x0040_0000]) == eperm)  // READ_IMPLIES_EXEC
    }

    @Test func ioctlIsAllowedExceptTerminalInjection() throws {
        let program = try shippedProgram("default")
        #expect(try verdict(program, "ioctl", [1, 0x5412]) == Verdict.errno(1))  // TIOCSTI
        // The kernel reads the request as 32 bits: set upper bits must not slip TIOCSTI through.
        #expect(try verdict(program, "ioctl", [1, 0xffff_ffff_0000_5412]) == Verdict.errno(1))
        #expect(try verdict(program, "ioctl", [1, 0x541c]) == Verdict.errno(1))  // TIOCLINUX
        #expect(try verdict(program, "ioctl", [1, 0x5401]) == Verdict.allow)  // TCGETS
        #expect(try verdict(program, "ioctl", [1, 0x5413]) == Verdict.allow)  // TIOCGWINSZ
    }

    @Test func socketFamiliesDependOnTheProfile() throws {
        let normal = try shippedProgram("default")
        let strict = try shippedProgram("strict")
        for family: UInt64 in [1, 2, 10] {
            #expect(try verdict(normal, "socket", [family, 1, 0]) == Verdict.allow)
        }
        #expect(try verdict(normal, "socket", [16, 3, 0]) == Verdict.errno(1))  // AF_NETLINK
        #expect(try verdict(strict, "socket", [1, 1, 0]) == Verdict.allow)
        #expect(try verdict(strict, "socketpair", [1, 1, 0]) == Verdict.allow)
        #expect(try verdict(strict, "socket", [2, 1, 0]) == Verdict.errno(97))  // EAFNOSUPPORT
        #expect(try verdict(strict, "socket", [10, 2, 0]) == Verdict.errno(97))
        #expect(try verdict(strict, "socket", [0x1_0000_0001, 1, 0]) == Verdict.errno(97))
        #expect(try verdict(strict, "socketpair", [2, 1, 0]) == Verdict.errno(97))
        #expect(try verdict(strict, "read") == Verdict.allow)
        #expect(try verdict(strict, "unshare") == Verdict.errno(1))
    }

    @Test func foreignArchitecturesAndX32AreKilled() throws {
        let program = try shippedProgram("default")
        #expect(try runBPF(program.bytes, on: SeccompData(nr: 3, arch: 0x4000_0003)) == Verdict.killProcess)  // i386
        #expect(try runBPF(program.bytes, on: SeccompData(nr: 0, arch: 0xc000_00b7)) == Verdict.killProcess)  // aarch64
        for number: UInt32 in [0x4000_0000, 0x4000_0000 | 1, 0x4000_0000 | 512, 0x4000_0000 | 1000] {
            let result = try runBPF(program.bytes, on: SeccompData(nr: number))
            #expect(result != Verdict.allow, "x32 number \(number)")
            #expect(result == Verdict.killProcess)
        }
    }

    @Test func numbersAboveTheHighestKnownFailWithENOSYS() throws {
        let program = try shippedProgram("default")
        let highest = SeccompCompiler.highestKnownSyscall(for: .x86_64)
        #expect(highest >= 334)  // rseq at least
        for number in [UInt32(highest) + 1, UInt32(highest) + 20, 1000, 0x3fff_ffff] {
            #expect(try runBPF(program.bytes, on: SeccompData(nr: number)) == Verdict.errno(38), "nr \(number)")
        }
        // A known but unlisted number (x86_64 leaves 335...423 unused; 156 is _sysctl) gets the default.
        #expect(try runBPF(program.bytes, on: SeccompData(nr: 400)) == Verdict.errno(1))
        #expect(try runBPF(program.bytes, on: SeccompData(nr: x86("get_mempolicy"))) == Verdict.allow)
        #expect(try runBPF(program.bytes, on: SeccompData(nr: x86("set_mempolicy"))) == Verdict.errno(1))
    }

    @Test func aarch64ProgramUsesAarch64Numbers() throws {
        let program = try shippedProgram("default", architecture: .aarch64)
        #expect(try verdict(program, "read", architecture: .aarch64) == Verdict.allow)
        #expect(try verdict(program, "unshare", architecture: .aarch64) == Verdict.errno(1))
        #expect(try verdict(program, "clone3", architecture: .aarch64) == Verdict.errno(38))
        #expect(try verdict(program, "ioctl", [1, 0x5412], architecture: .aarch64) == Verdict.errno(1))
        #expect(try runBPF(program.bytes, on: SeccompData(nr: 0)) == Verdict.killProcess)  // x86_64 entry
        #expect(try runBPF(program.bytes, on: SeccompData(nr: 2000, arch: 0xc000_00b7)) == Verdict.errno(38))
    }

    @Test func diskCacheRoundTripsThroughAPrivateDirectory() throws {
        let base = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let directory = "\(base)/cache/seccomp"
        let (_, bytes) = try SeccompProfile.load(nameOrPath: "default", searchDirectories: [policyDirectory])
        let first = try SeccompCompiler.compileCached(
            profileBytes: bytes, cacheDirectory: directory, memoryCache: SeccompProgramCache())
        let native = try #require(SeccompCompiler.nativeArchitecture)
        #expect(first == (try SeccompCompiler.compile(SeccompProfile.decode(bytes), architecture: native)))

        var status = stat()
        #expect(stat(directory, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        let name = "seccomp-\(SeccompCompiler.diskCacheHash(profileBytes: bytes, architecture: native)).bpf"
        #expect(stat("\(directory)/\(name)", &status) == 0)
        #expect(Int(status.st_size) == first.bytes.count)
        #expect(status.st_mode & 0o077 == 0)

        // A fresh process (an empty memory cache) reads the file back; prove it by planting a valid, different program.
        let planted = try SeccompProgram(bytes: [0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f])  // ret ALLOW
        let fd = open("\(directory)/\(name)", O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        _ = planted.bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let second = try SeccompCompiler.compileCached(
            profileBytes: bytes, cacheDirectory: directory, memoryCache: SeccompProgramCache())
        #expect(second == planted)

        // The memory cache answers before the disk.
        let cache = SeccompProgramCache()
        _ = try SeccompCompiler.compileCached(profileBytes: bytes, cacheDirectory: nil, memoryCache: cache)
        #expect(cache.count == 1)
    }

    @Test func diskCacheRefusesAGroupWritableCacheFile() throws {
        let base = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (_, bytes) = try SeccompProfile.load(nameOrPath: "strict", searchDirectories: [policyDirectory])
        let genuine = try SeccompCompiler.compileCached(
            profileBytes: bytes, cacheDirectory: base, memoryCache: SeccompProgramCache())
        let native = try #require(SeccompCompiler.nativeArchitecture)
        let path = "\(base)/seccomp-\(SeccompCompiler.diskCacheHash(profileBytes: bytes, architecture: native)).bpf"

        // Poison the file with an allow-everything program and make it group-writable.
        let poison: [UInt8] = [0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]
        let fd = open(path, O_WRONLY | O_TRUNC)
        _ = poison.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(chmod(path, 0o660) == 0)
        let again = try SeccompCompiler.compileCached(
            profileBytes: bytes, cacheDirectory: base, memoryCache: SeccompProgramCache())
        #expect(again == genuine)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o077 == 0)  // replaced by a private file
        #expect(Int(status.st_size) == genuine.bytes.count)

        // A file whose length is not a multiple of 8 is not used either.
        let torn = open(path, O_WRONLY | O_TRUNC)
        _ = poison.withUnsafeBytes { write(torn, $0.baseAddress, 5) }
        close(torn)
        #expect(
            try SeccompCompiler.compileCached(
                profileBytes: bytes, cacheDirectory: base, memoryCache: SeccompProgramCache()) == genuine)
    }

    @Test func diskCacheRefusesADirectoryWritableByOthers() throws {
        let base = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(chmod(base, 0o777) == 0)
        let (_, bytes) = try SeccompProfile.load(nameOrPath: "default", searchDirectories: [policyDirectory])
        do {
            _ = try SeccompCompiler.compileCached(
                profileBytes: bytes, cacheDirectory: base, memoryCache: SeccompProgramCache())
            Issue.record("used a world-writable cache directory")
        } catch {
            #expect(error.code == SeccompError.Code.cacheUnsafe)
        }
    }
}
