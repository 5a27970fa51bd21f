import Foundation
import Jail

/// The folder a run's egress socket lives in: owned by the appliance's user, group the jail's host
/// group, mode 0710, so the jail's setup (which runs as the jail's host identity) can reach the socket
/// to bind it into the jail, and nobody else can reach or list anything in it.
public enum EgressSocketFolder {
    /// Gives `folder` to `group` with mode 0710.
    ///
    /// - Throws: The system error of `chown`/`chmod`.
    public static func admit(_ folder: String, group: UInt32) throws {
        try FileManager.default.setAttributes(
            [.groupOwnerAccountID: NSNumber(value: group), .posixPermissions: NSNumber(value: 0o710)],
            ofItemAtPath: folder)
    }
}
