import CJail

/// Readable errno names (`EPERM`), for messages that say exactly what the kernel said.
public enum Errno {
    /// The symbolic name of `value`, or `errno N` when unknown.
    public static func name(_ value: Int32) -> String {
        if let cName = cj_errno_name(value) { return String(cString: cName) }
        return "errno \(value)"
    }
}
