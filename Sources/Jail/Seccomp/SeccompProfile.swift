import JSON

/// A decoded seccomp allowlist profile (the JSON format of docs/SECCOMP.md).
///
/// A profile is data only: decoding checks its shape and its internal consistency, never the running kernel or
/// libseccomp. ``SeccompCompiler`` turns it into a BPF program.
///
/// How a call is decided, whatever the order of the rules:
/// 1. a refusal rule (`errno` or `kill`) whose conditions all match;
/// 2. otherwise an `allow` rule whose conditions all match;
/// 3. otherwise, if the number is above the highest one libseccomp knows for the architecture and
///    `unknownSyscallErrno` is set, that errno (checked first in the program, which is equivalent);
/// 4. otherwise `defaultAction`.
public struct SeccompProfile: Sendable, Hashable {
    /// What the filter does with a system call.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// Let the call run.
        case allow
        /// Fail the call with this errno (1...4095) without running it.
        case errno(Int32)
        /// Kill the whole process (`SECCOMP_RET_KILL_PROCESS`).
        case kill

        /// `allow`, `errno(EPERM)` or `kill`.
        public var description: String {
            switch self {
            case .allow: return "allow"
            case .errno(let code): return "errno(\(SeccompProfile.errnoName(code) ?? String(code)))"
            case .kill: return "kill"
            }
        }

        /// Whether the action refuses the call (`errno` or `kill`).
        public var isRefusal: Bool { self != .allow }
    }

    /// An architecture a profile can name. Raw values are the names used in the JSON.
    public enum Architecture: String, Sendable, Hashable, CaseIterable {
        /// 64-bit x86 (`AUDIT_ARCH_X86_64`). i386 and x32 entry points are not part of it.
        case x86_64
        /// 64-bit ARM (`AUDIT_ARCH_AARCH64`).
        case aarch64
    }

    /// A comparison of one system call argument with constants.
    public struct ArgumentCondition: Sendable, Hashable {
        /// A comparison operator. Raw values are the names used in the JSON.
        public enum Operator: String, Sendable, Hashable, CaseIterable {
            /// `arg == value`
            case eq
            /// `arg != value`
            case ne
            /// `arg < value` (unsigned 64-bit)
            case lt
            /// `arg <= value` (unsigned 64-bit)
            case le
            /// `arg > value` (unsigned 64-bit)
            case gt
            /// `arg >= value` (unsigned 64-bit)
            case ge
            /// `(arg & value) == valueTwo`: `value` is the mask, as in OCI profiles.
            case maskedEq = "masked_eq"
        }

        /// The argument position, 0...5.
        public var index: Int
        /// The comparison.
        public var op: Operator
        /// The constant compared with (the mask for ``Operator/maskedEq``).
        public var value: UInt64
        /// The masked value for ``Operator/maskedEq``; 0 otherwise.
        public var valueTwo: UInt64

        /// Creates a condition.
        /// - Parameters:
        ///   - index: the argument position, 0...5.
        ///   - op: the comparison.
        ///   - value: the constant (the mask for `masked_eq`).
        ///   - valueTwo: the masked value for `masked_eq`.
        public init(index: Int, op: Operator, value: UInt64, valueTwo: UInt64 = 0) {
            self.index = index
            self.op = op
            self.value = value
            self.valueTwo = valueTwo
        }
    }

    /// One entry of `syscalls`: an action for some system calls, optionally only when arguments match.
    public struct Rule: Sendable, Hashable {
        /// System call names, as libseccomp spells them (`openat`, `clone3`).
        public var names: [String]
        /// What happens to a matching call.
        public var action: Action
        /// All must hold for the rule to match (at most one per argument index); empty means always.
        public var conditions: [ArgumentCondition]
        /// Free text explaining the rule.
        public var comment: String?

        /// Creates a rule.
        /// - Parameters:
        ///   - names: the system call names.
        ///   - action: what happens to a matching call.
        ///   - conditions: argument conditions, all of which must hold.
        ///   - comment: free text.
        public init(names: [String], action: Action, conditions: [ArgumentCondition] = [], comment: String? = nil) {
            self.names = names
            self.action = action
            self.conditions = conditions
            self.comment = comment
        }
    }

    /// The action for calls no rule matches: `errno(...)` or `kill`, never `allow` (profiles are allowlists).
    public var defaultAction: Action
    /// The architectures the profile supports; the compiler builds a program for the running one.
    public var architectures: [Architecture]
    /// The action for calls made through another architecture's entry point (e.g. `int 0x80`).
    public var badArchAction: Action
    /// When set, numbers above the highest libseccomp knows for the architecture fail with this errno.
    public var unknownSyscallErrno: Int32?
    /// The rules, in file order (order does not change the verdict; see the type's documentation).
    public var rules: [Rule]
    /// Free text describing the profile.
    public var comment: String?

    /// Creates a profile and checks it as ``decode(_:)`` would.
    /// - Throws: ``SeccompError`` with code ``SeccompError/profileInvalid`` naming the inconsistent field.
    public init(
        defaultAction: Action, architectures: [Architecture], badArchAction: Action = .kill,
        unknownSyscallErrno: Int32? = nil, rules: [Rule], comment: String? = nil
    ) throws(SeccompError) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.badArchAction = badArchAction
        self.unknownSyscallErrno = unknownSyscallErrno
        self.rules = rules
        self.comment = comment
        try validate()
    }

    // MARK: - Loading

    /// The largest profile file accepted, in bytes.
    public static let maximumSourceSize = 1 << 20

    /// Finds a profile's file and reads its bytes without decoding them (the cheap half of ``load``).
    ///
    /// A value containing `/` or ending in `.json` is a path. Anything else is a name, looked up as
    /// `<directory>/<name>.json` in each search directory in order; the first existing file wins.
    /// - Parameters:
    ///   - nameOrPath: `default`, `strict`, or a path such as `./my-profile.json`.
    ///   - searchDirectories: directories holding named profiles, most specific first.
    /// - Returns: the path of the file read and its bytes.
    /// - Throws: ``SeccompError`` with code ``SeccompError/profileNotFound`` listing the places tried, or
    ///   ``SeccompError/ioFailed``.
    public static func readSource(nameOrPath: String, searchDirectories: [String]) throws(SeccompError) -> (
        path: String, bytes: [UInt8]
    ) {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            guard let bytes = try SeccompIO.readFile(nameOrPath, limit: maximumSourceSize) else {
                throw SeccompError(
                    code: .profileNotFound, message: "seccomp profile \(nameOrPath) does not exist")
            }
            return (nameOrPath, bytes)
        }
        guard !nameOrPath.isEmpty, !nameOrPath.hasPrefix("."),
            nameOrPath.utf8.allSatisfy(isProfileNameByte)
        else {
            throw SeccompError(
                code: .profileNotFound,
                message: "invalid seccomp profile name \"\(nameOrPath)\": expected letters, digits, '-', '_' or a path")
        }
        var tried: [String] = []
        for directory in searchDirectories where !directory.isEmpty {
            let path = directory.hasSuffix("/") ? "\(directory)\(nameOrPath).json" : "\(directory)/\(nameOrPath).json"
            if let bytes = try SeccompIO.readFile(path, limit: maximumSourceSize) { return (path, bytes) }
            tried.append(path)
        }
        throw SeccompError(
            code: .profileNotFound,
            message:
                "no seccomp profile named \"\(nameOrPath)\" (tried: \(tried.isEmpty ? "no directories" : tried.joined(separator: ", ")))"
        )
    }

    /// Finds, reads and decodes a profile.
    /// - Parameters:
    ///   - nameOrPath: a profile name (`default`, `strict`) or a path (contains `/` or ends in `.json`).
    ///   - searchDirectories: directories holding named profiles, most specific first, e.g.
    ///     `<repo>/Policies/seccomp`, `/usr/local/share/omega-exec/seccomp`, `$OMEGA_HOME/seccomp`.
    /// - Returns: the decoded profile and the exact bytes it was decoded from (the cache key of
    ///   ``SeccompCompiler/compileCached(profileBytes:cacheDirectory:memoryCache:)``).
    /// - Throws: ``SeccompError`` (`SECCOMP_PROFILE_NOT_FOUND`, `SECCOMP_PROFILE_INVALID`, `SECCOMP_IO_FAILED`).
    public static func load(nameOrPath: String, searchDirectories: [String]) throws(SeccompError) -> (
        profile: SeccompProfile, sourceBytes: [UInt8]
    ) {
        let source = try readSource(nameOrPath: nameOrPath, searchDirectories: searchDirectories)
        do throws(SeccompError) {
            return (try decode(source.bytes), source.bytes)
        } catch {
            throw SeccompError(code: error.code, message: "\(source.path): \(error.message)", errno: error.errno)
        }
    }

    // MARK: - Decoding

    /// Decodes and validates a profile from JSON.
    ///
    /// Decoding is strict: unknown keys, wrong types, out-of-range values and contradictory rules are errors
    /// whose message names the field (`syscalls[3].args[0].op: expected one of eq, ne, lt, le, gt, ge, masked_eq`).
    /// System call names are checked for spelling only; whether libseccomp knows them is checked when compiling.
    /// - Parameter bytes: the JSON document.
    /// - Returns: the profile.
    /// - Throws: ``SeccompError`` with code ``SeccompError/profileInvalid``.
    public static func decode(_ bytes: [UInt8]) throws(SeccompError) -> SeccompProfile {
        let root: JSONValue
        do {
            root = try JSONParser().parse(bytes: bytes)
        } catch {
            throw SeccompError.invalid("", "not valid JSON (\(error))")
        }
        let object = try root.object(at: "")
        try checkKeys(
            object, at: "",
            allowed: [
                "formatVersion", "comment", "defaultAction", "defaultErrno", "unknownSyscallErrno", "architectures",
                "badArchAction", "syscalls",
            ],
            required: ["defaultAction", "architectures", "syscalls"])

        if let version = object["formatVersion"] {
            guard try version.unsigned(at: "formatVersion") == 1 else {
                throw SeccompError.invalid("formatVersion", "expected 1 (the only version this build reads)")
            }
        }
        let comment = try object["comment"].map { value throws(SeccompError) in try value.string(at: "comment") }

        let defaultErrno = try object["defaultErrno"].map { value throws(SeccompError) in
            try decodeErrno(value, at: "defaultErrno")
        }
        let defaultAction = try decodeAction(
            object["defaultAction"]!, errno: defaultErrno ?? 1, at: "defaultAction", allowed: ["errno", "kill"])
        if defaultErrno != nil, defaultAction == .kill {
            throw SeccompError.invalid("defaultErrno", "only meaningful when defaultAction is \"errno\"")
        }
        let badArchAction: Action =
            try object["badArchAction"].map { value throws(SeccompError) in
                try decodeAction(value, errno: defaultErrno ?? 1, at: "badArchAction", allowed: ["kill", "errno"])
            } ?? .kill
        let unknownSyscallErrno = try object["unknownSyscallErrno"].map { value throws(SeccompError) in
            try decodeErrno(value, at: "unknownSyscallErrno")
        }

        let architectureValues = try object["architectures"]!.array(at: "architectures")
        var architectures: [Architecture] = []
        for (i, value) in architectureValues.enumerated() {
            let path = "architectures[\(i)]"
            let name = try value.string(at: path)
            guard let architecture = Architecture(rawValue: name) else {
                throw SeccompError.invalid(
                    path,
                    "expected one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
            }
            guard !architectures.contains(architecture) else {
                throw SeccompError.invalid(path, "\"\(name)\" is listed twice")
            }
            architectures.append(architecture)
        }

        var rules: [Rule] = []
        for (i, value) in try object["syscalls"]!.array(at: "syscalls").enumerated() {
            rules.append(try decodeRule(value, at: "syscalls[\(i)]"))
        }

        let profile = SeccompProfile(
            unchecked: defaultAction, architectures: architectures, badArchAction: badArchAction,
            unknownSyscallErrno: unknownSyscallErrno, rules: rules, comment: comment)
        try profile.validate()
        return profile
    }

    private init(
        unchecked defaultAction: Action, architectures: [Architecture], badArchAction: Action,
        unknownSyscallErrno: Int32?, rules: [Rule], comment: String?
    ) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.badArchAction = badArchAction
        self.unknownSyscallErrno = unknownSyscallErrno
        self.rules = rules
        self.comment = comment
    }

    private static func decodeRule(_ value: JSONValue, at path: String) throws(SeccompError) -> Rule {
        let object = try value.object(at: path)
        try checkKeys(
            object, at: path, allowed: ["names", "action", "errno", "args", "comment"], required: ["names", "action"])
        let nameValues = try object["names"]!.array(at: "\(path).names")
        var names: [String] = []
        for (j, nameValue) in nameValues.enumerated() {
            names.append(try nameValue.string(at: "\(path).names[\(j)]"))
        }
        let ruleErrno = try object["errno"].map { value throws(SeccompError) in
            try decodeErrno(value, at: "\(path).errno")
        }
        let action = try decodeAction(
            object["action"]!, errno: ruleErrno ?? 1, at: "\(path).action", allowed: ["allow", "errno", "kill"])
        if ruleErrno != nil, action != .errno(ruleErrno!) {
            throw SeccompError.invalid("\(path).errno", "only meaningful when action is \"errno\"")
        }
        var conditions: [ArgumentCondition] = []
        if let argsValue = object["args"] {
            for (k, argValue) in try argsValue.array(at: "\(path).args").enumerated() {
                conditions.append(try decodeCondition(argValue, at: "\(path).args[\(k)]"))
            }
        }
        let comment = try object["comment"].map { value throws(SeccompError) in
            try value.string(at: "\(path).comment")
        }
        return Rule(names: names, action: action, conditions: conditions, comment: comment)
    }

    private static func decodeCondition(_ value: JSONValue, at path: String) throws(SeccompError) -> ArgumentCondition {
        let object = try value.object(at: path)
        try checkKeys(
            object, at: path, allowed: ["index", "op", "value", "valueTwo"], required: ["index", "op", "value"])
        let index = try object["index"]!.unsigned(at: "\(path).index")
        let opName = try object["op"]!.string(at: "\(path).op")
        guard let op = ArgumentCondition.Operator(rawValue: opName) else {
            throw SeccompError.invalid(
                "\(path).op",
                "expected one of \(ArgumentCondition.Operator.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(opName)\""
            )
        }
        let constant = try object["value"]!.unsigned(at: "\(path).value")
        let valueTwo = try object["valueTwo"].map { value throws(SeccompError) in
            try value.unsigned(at: "\(path).valueTwo")
        }
        if op == .maskedEq, valueTwo == nil {
            throw SeccompError.invalid(path, "masked_eq needs \"valueTwo\" (the value of arg & value)")
        }
        if op != .maskedEq, valueTwo != nil {
            throw SeccompError.invalid("\(path).valueTwo", "only meaningful with op \"masked_eq\"")
        }
        return ArgumentCondition(index: Int(min(index, 1 << 20)), op: op, value: constant, valueTwo: valueTwo ?? 0)
    }

    private static func decodeAction(
        _ value: JSONValue, errno: Int32, at path: String, allowed: [String]
    ) throws(SeccompError) -> Action {
        let name = try value.string(at: path)
        guard allowed.contains(name) else {
            throw SeccompError.invalid(path, "expected one of \(allowed.joined(separator: ", ")), got \"\(name)\"")
        }
        switch name {
        case "allow": return .allow
        case "kill": return .kill
        default: return .errno(errno)
        }
    }

    private static func decodeErrno(_ value: JSONValue, at path: String) throws(SeccompError) -> Int32 {
        if case .string(let name) = value {
            guard let code = errnoValues[name] else {
                throw SeccompError.invalid(
                    path,
                    "expected an errno name such as EPERM, ENOSYS, EAFNOSUPPORT or a number 1...4095, got \"\(name)\"")
            }
            return code
        }
        guard let number = value.exactUnsigned, (1...4095).contains(number) else {
            throw SeccompError.invalid(path, "expected an errno name such as EPERM or a number 1...4095")
        }
        return Int32(number)
    }

    private static func checkKeys(
        _ object: [String: JSONValue], at path: String, allowed: Set<String>, required: [String]
    ) throws(SeccompError) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            let field = path.isEmpty ? key : "\(path).\(key)"
            throw SeccompError.invalid(
                field, "unknown field (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
        for key in required where object[key] == nil {
            throw SeccompError.invalid(path.isEmpty ? key : "\(path).\(key)", "missing required field")
        }
    }

    // MARK: - Validation

    /// Checks everything that does not need libseccomp; called by ``decode(_:)`` and the public initializer.
    func validate() throws(SeccompError) {
        if defaultAction == .allow {
            throw SeccompError.invalid("defaultAction", "expected one of errno, kill (profiles are allowlists)")
        }
        if badArchAction == .allow {
            throw SeccompError.invalid("badArchAction", "expected one of kill, errno")
        }
        if architectures.isEmpty {
            throw SeccompError.invalid("architectures", "expected at least one architecture")
        }
        for action in [defaultAction, badArchAction] {
            if case .errno(let code) = action, !(1...4095).contains(code) {
                throw SeccompError.invalid("defaultErrno", "expected a number 1...4095")
            }
        }
        if let code = unknownSyscallErrno, !(1...4095).contains(code) {
            throw SeccompError.invalid("unknownSyscallErrno", "expected a number 1...4095")
        }

        // Per name: the rules that mention it, to detect contradictions that libseccomp would resolve silently.
        var unconditional: [String: Int] = [:]
        var conditional: [String: [Int]] = [:]
        for (i, rule) in rules.enumerated() {
            let path = "syscalls[\(i)]"
            if rule.names.isEmpty { throw SeccompError.invalid("\(path).names", "expected at least one name") }
            if case .errno(let code) = rule.action, !(1...4095).contains(code) {
                throw SeccompError.invalid("\(path).errno", "expected a number 1...4095")
            }
            var seenNames: Set<String> = []
            for (j, name) in rule.names.enumerated() {
                guard !name.isEmpty, name.count <= 64, name.utf8.allSatisfy(SeccompProfile.isSyscallNameByte) else {
                    throw SeccompError.invalid(
                        "\(path).names[\(j)]",
                        "expected a system call name (lower-case letters, digits, '_'), got \"\(name)\"")
                }
                guard seenNames.insert(name).inserted else {
                    throw SeccompError.invalid("\(path).names[\(j)]", "\"\(name)\" is listed twice in this rule")
                }
            }
            if rule.conditions.count > 6 {
                throw SeccompError.invalid("\(path).args", "expected at most 6 conditions")
            }
            var seenIndexes: Set<Int> = []
            for (k, condition) in rule.conditions.enumerated() {
                guard (0...5).contains(condition.index) else {
                    throw SeccompError.invalid("\(path).args[\(k)].index", "expected 0...5, got \(condition.index)")
                }
                guard seenIndexes.insert(condition.index).inserted else {
                    throw SeccompError.invalid(
                        "\(path).args[\(k)].index",
                        "argument \(condition.index) is compared twice in one rule (write one rule per range)")
                }
                if condition.op != .maskedEq, condition.valueTwo != 0 {
                    throw SeccompError.invalid("\(path).args[\(k)].valueTwo", "only meaningful with op \"masked_eq\"")
                }
            }
            for name in rule.names {
                if rule.conditions.isEmpty {
                    if let other = unconditional[name] {
                        throw SeccompError.invalid(
                            "\(path).names", "\"\(name)\" already has an unconditional rule in syscalls[\(other)]")
                    }
                    unconditional[name] = i
                } else {
                    conditional[name, default: []].append(i)
                }
            }
        }
        // An unconditional refusal makes every other rule for the name dead; an unconditional allow makes other
        // allow rules dead. Conditional refusals next to an unconditional allow are the useful case (ioctl).
        for (name, i) in unconditional.sorted(by: { $0.value < $1.value }) {
            for j in conditional[name] ?? [] where rules[i].action.isRefusal || !rules[j].action.isRefusal {
                throw SeccompError.invalid(
                    "syscalls[\(j)]",
                    "the rule for \"\(name)\" has no effect: syscalls[\(i)] already applies \(rules[i].action) to every call"
                )
            }
        }
    }

    /// Lower-case letters, digits and `_`: how libseccomp spells system calls.
    static func isSyscallNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    /// Letters, digits, `_`, `-` and `.`: what a profile name (not a path) may contain.
    static func isProfileNameByte(_ byte: UInt8) -> Bool {
        isSyscallNameByte(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    // MARK: - Errno names

    /// The name of an errno value (`EPERM` for 1), if it is one the profile format knows.
    public static func errnoName(_ code: Int32) -> String? {
        errnoValues.first(where: { $0.value == code && $0.key != "EWOULDBLOCK" && $0.key != "ENOTSUP" })?.key
    }

    /// Errno names accepted in profiles, with their Linux values (identical on x86_64 and aarch64).
    public static let errnoValues: [String: Int32] = [
        "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "ENOEXEC": 8,
        "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "EWOULDBLOCK": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14,
        "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22,
        "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29,
        "EROFS": 30, "EMLINK": 31, "EPIPE": 32, "ERANGE": 34, "ENOSYS": 38, "ENOTSOCK": 88,
        "EPROTONOSUPPORT": 93, "ESOCKTNOSUPPORT": 94, "EOPNOTSUPP": 95, "ENOTSUP": 95, "EPFNOSUPPORT": 96,
        "EAFNOSUPPORT": 97, "EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101, "ECONNREFUSED": 111,
        "EHOSTUNREACH": 113,
    ]
}

// MARK: - JSON

/// Reading a profile's JSON (the JSON module's `JSONValue`) with errors that name the exact field.
extension JSONValue {
    /// What the value is, for messages (`a number`, `an object`).
    fileprivate var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    fileprivate func object(at path: String) throws(SeccompError) -> [String: JSONValue] {
        guard case .object(let value) = self else {
            throw SeccompError.invalid(path.isEmpty ? "(document)" : path, "expected an object, got \(kind)")
        }
        return value
    }

    fileprivate func array(at path: String) throws(SeccompError) -> [JSONValue] {
        guard case .array(let value) = self else { throw SeccompError.invalid(path, "expected an array, got \(kind)") }
        return value
    }

    fileprivate func string(at path: String) throws(SeccompError) -> String {
        guard case .string(let value) = self else { throw SeccompError.invalid(path, "expected a string, got \(kind)") }
        return value
    }

    /// The largest integer every JSON number up to which is exact in a `Double` (2^53).
    private static let exactLimit = 9_007_199_254_740_992.0

    /// The value when it is a JSON number that is a non-negative integer, whatever its notation
    /// (`7`, `7.0`, `7e0`), and exact: above 2^53 only plain integer literals up to 2^63-1 are.
    fileprivate var exactUnsigned: UInt64? {
        switch self {
        case .integer(let value): return value >= 0 ? UInt64(value) : nil
        case .number(let value):
            return value >= 0 && value.rounded() == value && value <= Self.exactLimit ? UInt64(value) : nil
        default: return nil
        }
    }

    /// A non-negative integer up to 2^64-1: a JSON number, or a string in decimal or `0x` hexadecimal (JSON
    /// numbers above 2^53 lose precision in many tools, so masks are best written as strings).
    fileprivate func unsigned(at path: String) throws(SeccompError) -> UInt64 {
        if let value = exactUnsigned { return value }
        switch self {
        case .string(let text):
            let parsed: UInt64?
            if text.hasPrefix("0x") || text.hasPrefix("0X") {
                parsed = UInt64(text.dropFirst(2), radix: 16)
            } else {
                parsed = UInt64(text, radix: 10)
            }
            if let parsed { return parsed }
            throw SeccompError.invalid(
                path, "expected an unsigned 64-bit integer (number, \"123\" or \"0x7b\"), got \"\(text)\"")
        case .number(let value) where value.rounded() == value && value > Self.exactLimit && value < 0x1p64:
            throw SeccompError.invalid(
                path,
                "expected an unsigned 64-bit integer: a number above 2^53 is not exact in JSON, write it as a string (\"0x...\")"
            )
        default:
            throw SeccompError.invalid(
                path, "expected an unsigned 64-bit integer (number, \"123\" or \"0x7b\"), got \(kind)")
        }
    }
}
