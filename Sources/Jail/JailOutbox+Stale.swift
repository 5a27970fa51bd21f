#if os(Linux)
extension JailOutbox {
    /// Removes one outbox a dead process left behind (e.g. after `kill -9`): detaches any mount at or
    /// below `path`, then deletes the tree without following links. Other outboxes in the same
    /// directory (live runs of other processes) are left alone. Best effort: it never throws.
    ///
    /// - Parameter path: The outbox's path.
    /// - Returns: Whether `path` is gone.
    @discardableResult
    public static func removeStale(at path: String) -> Bool {
        detachMounts(at: path)
        return removeTree(path)
    }
}
#endif
