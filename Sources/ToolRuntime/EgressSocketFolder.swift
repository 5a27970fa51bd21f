import Foundation
import Jail

/// The folder a run's egress socket lives in. The jail's setup runs as the jail's host identity and
/// must reach the socket to bind it into the jail: with a root appliance the folder is group-owned by
/// the jail's host group with mode 0710 (search, no listing), rootless (the jail is the appliance's own
/// user) it stays 0700. Nobody else can reach the socket.
public enum EgressSocketFolder {
    /// Sets `folder`'s group and mode for `jail`.
    ///
    /// - Throws: The system error of `chown`/`chmod`.
    public static func admit(_ folder: String, for jail: Jail) throws {
        if jail.rootless {
            try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: 0o700)], ofItemAtPath: folder)
            return
        }
        try FileManager.default.setAttributes(
            [.groupOwnerAccountID: NSNumber(value: jail.hostGID), .posixPermissions: NSNumber(value: 0o710)],
            ofItemAtPath: folder)
    }
}
