/// Which runs to list, newest first: a page of at most `limit`, after `before` when given.
public struct RunQuery: Sendable, Equatable {
    /// Only runs with this status; nil: any.
    public var status: RunStatus?
    /// Only runs that belong to this user (a run stored without a user belongs to `local`); nil: anyone's.
    public var user: String?
    /// Only runs older than this position in the order (the last run of the previous page).
    public var before: RunCursor?
    /// At most this many (1…1000).
    public var limit: Int

    /// A query; `limit` is clamped to 1…1000.
    public init(status: RunStatus? = nil, user: String? = nil, before: RunCursor? = nil, limit: Int = 50) {
        self.status = status
        self.user = user
        self.before = before
        self.limit = min(max(limit, 1), 1000)
    }
}

/// A position in the newest-first order of runs (creation time, then id, both descending), written as
/// `<milliseconds>.<run id>` for a client to hand back.
public struct RunCursor: Sendable, Equatable, CustomStringConvertible {
    /// The run's creation time in milliseconds since the epoch.
    public var createdAtMs: Int64
    /// The run's id.
    public var id: String

    /// The position of the run `id` created at `createdAtMs`.
    public init(createdAtMs: Int64, id: String) {
        self.createdAtMs = createdAtMs
        self.id = id
    }

    /// The cursor just after `record`.
    public init(after record: RunRecord) { self.init(createdAtMs: record.createdAtMs, id: record.id) }

    /// Parses `<milliseconds>.<run id>`; nil for anything else (the milliseconds: 1–18 digits; the id: 1–64
    /// of `a-z 0-9 - _`).
    public init?(parsing text: String) {
        guard let dot = text.firstIndex(of: "."), (1...18).contains(text.distance(from: text.startIndex, to: dot)),
            text[..<dot].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let ms = Int64(text[..<dot])
        else { return nil }
        let id = String(text[text.index(after: dot)...])
        guard RunRecord.isWellFormedID(id) else { return nil }
        self.init(createdAtMs: ms, id: id)
    }

    /// `<milliseconds>.<run id>`, what ``init(parsing:)`` reads.
    public var description: String { "\(createdAtMs).\(id)" }
}
