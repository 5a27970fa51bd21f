import GRDB

extension AccessStore {
    /// How often a store prunes expired rows of the ledger (at most once per this many ms, on a
    /// ``consumeState(nonce:expiresAtMs:nowMs:)`` call).
    public static let pruneIntervalMs: Int64 = 60_000

    /// Whether `nonce` is a valid request-state nonce: 1–64 characters of `A-Z a-z 0-9 _ -`.
    public static func isValidNonce(_ nonce: String) -> Bool {
        let bytes = Array(nonce.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { APIKey.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Records that the request state `nonce` is used: replay protection shared by every process on the
    /// home.
    ///
    /// The first call for a nonce inserts it (a primary-key insert, so of any number of concurrent calls in
    /// any processes exactly one returns true); every later call returns false until the row is pruned,
    /// which happens only after `expiresAtMs`. A state already expired at `nowMs` is never consumed (false),
    /// so a pruned nonce cannot be consumed again. `expiresAtMs` must come from the same sealed state as
    /// the nonce. Expired rows are deleted at most once per ``pruneIntervalMs`` per store.
    ///
    /// - Parameters:
    ///   - nonce: The state's nonce: 1–64 characters of `A-Z a-z 0-9 _ -`.
    ///   - expiresAtMs: When the state expires (ms since the epoch); the row is kept until then.
    ///   - nowMs: The time of the call (ms since the epoch).
    /// - Returns: true when this call consumed the state; false when it was consumed before or has expired.
    /// - Throws: `INVALID_INPUT` naming `nonce` when it is malformed; `INTERNAL_ERROR` when the database
    ///   cannot be written (the state must then be refused).
    public func consumeState(nonce: String, expiresAtMs: Int64, nowMs: Int64) throws(AccessError) -> Bool {
        guard Self.isValidNonce(nonce) else {
            throw AccessError(.invalidInput, "a state nonce is 1–64 characters of A-Z a-z 0-9 _ -", field: "nonce")
        }
        guard expiresAtMs > nowMs else { return false }
        let prune = lastPruneMs.withLock { last -> Bool in
            guard last.map({ nowMs - $0 >= Self.pruneIntervalMs }) ?? true else { return false }
            last = nowMs
            return true
        }
        do {
            return try pool.write { db in
                if prune { try db.execute(sql: "DELETE FROM used_states WHERE expires_at < ?", arguments: [nowMs]) }
                try db.execute(
                    sql: "INSERT INTO used_states (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
                    arguments: [nonce, expiresAtMs])
                return db.changesCount == 1
            }
        } catch {
            throw failure("consume state", error)
        }
    }

    /// Deletes the ledger's rows that expired before `nowMs` (what ``consumeState(nonce:expiresAtMs:nowMs:)``
    /// does on its own from time to time).
    ///
    /// - Returns: How many rows were deleted.
    /// - Throws: `INTERNAL_ERROR` when the database cannot be written.
    @discardableResult
    public func pruneStates(nowMs: Int64) throws(AccessError) -> Int {
        do {
            let deleted = try pool.write { db in
                try db.execute(sql: "DELETE FROM used_states WHERE expires_at < ?", arguments: [nowMs])
                return db.changesCount
            }
            lastPruneMs.withLock { $0 = nowMs }
            return deleted
        } catch {
            throw failure("prune states", error)
        }
    }

    /// How many used states the ledger holds (expired ones not yet pruned included).
    ///
    /// - Throws: `INTERNAL_ERROR` when the database cannot be read.
    public func usedStateCount() throws(AccessError) -> Int {
        do {
            return try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM used_states") ?? 0 }
        } catch {
            throw failure("count states", error)
        }
    }
}
