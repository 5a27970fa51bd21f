import Synchronization

/// The set of tool ids given their own series, bounded.
final class ToolSeries: Sendable {
    private let seen = Mutex<Set<String>>([])

    /// Whether `id` has (or now gets) its own series.
    func admit(_ id: String, limit: Int) -> Bool {
        seen.withLock { set in
            if set.contains(id) { return true }
            guard set.count < limit else { return false }
            set.insert(id)
            return true
        }
    }
}
