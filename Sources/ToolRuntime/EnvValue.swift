import Credentials

/// The rules for a value of a declared environment variable, wherever one comes in: with a call, a
/// resume, or a pause's answer before it is saved in the vault.
public enum EnvValue {
    /// What is wrong with `value` (a NUL byte, over 64 KiB, or a secret too short to be redacted), or nil.
    public static func problem(with value: String, secret: Bool) -> String? {
        if value.utf8.contains(0) { return "must not contain a NUL byte" }
        if value.utf8.count > 65_536 { return "is longer than 64 KiB" }
        if secret, value.utf8.count < Redactor.minimumSecretLength {
            return "is a secret shorter than \(Redactor.minimumSecretLength) bytes, which could not be redacted"
        }
        return nil
    }
}
