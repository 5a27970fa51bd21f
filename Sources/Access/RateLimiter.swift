import Synchronization

/// Per-key token buckets (a key is an API key id, or whatever the caller limits by), safe to share
/// between threads and tasks.
///
/// Each key's bucket holds up to ``RateLimit/burst`` tokens and refills continuously at
/// ``RateLimit/requestsPerMinute``; a request takes `cost` tokens or is refused. Arithmetic is exact
/// (integers, in units of 1/60,000 token, so a minute's refill is a whole number of units per
/// millisecond): no rounding drift however long a bucket lives.
///
/// Time is passed in (`nowMs`, milliseconds of a monotonic clock) and never read here. A time earlier
/// than one a bucket has already seen (threads that read the clock before taking the lock arrive out
/// of order) counts as no time passing, so a bucket never refills twice for the same interval: over
/// any interval of `t` ms, one key is allowed at most `burst + t × requestsPerMinute / 60,000` tokens.
///
/// Memory is bounded by ``maximumBuckets``. A key never seen (or dropped) starts with a full bucket.
/// When a new key would exceed the bound, buckets that have refilled to full are dropped first —
/// which changes nothing, since they would start full anyway; only when fewer than a tenth of the
/// buckets are full are the least recently used dropped, until a tenth of the room is free. A key
/// whose partly drained bucket is dropped that way starts full again: it gains at most one burst
/// (one full refill) per eviction, and only when more than ``maximumBuckets`` keys were used within
/// one full-refill period (``RateLimit/burst`` tokens at ``RateLimit/requestsPerMinute``).
public final class RateLimiter: Sendable {
    /// The default bound on buckets: 100,000 (a few MB).
    public static let defaultMaximumBuckets = 100_000

    /// Units of one token: 60,000, so `requestsPerMinute` tokens a minute is `requestsPerMinute`
    /// units a millisecond.
    static let unitsPerToken: Int64 = 60_000

    /// The limit every key gets.
    public let limit: RateLimit
    /// The most buckets kept.
    public let maximumBuckets: Int

    private struct Bucket {
        /// Units in the bucket at ``updatedMs``.
        var units: Int64
        /// The latest time the bucket was brought up to date.
        var updatedMs: Int64
    }

    private let buckets: Mutex<[String: Bucket]>

    /// A limiter giving every key `limit`.
    ///
    /// - Parameters:
    ///   - limit: The bucket size and refill rate.
    ///   - maximumBuckets: The bound on keys kept at once (at least 1; default ``defaultMaximumBuckets``).
    public init(limit: RateLimit, maximumBuckets: Int = RateLimiter.defaultMaximumBuckets) {
        self.limit = limit
        self.maximumBuckets = max(1, maximumBuckets)
        buckets = Mutex([:])
    }

    /// The number of buckets kept now (at most ``maximumBuckets``).
    public var bucketCount: Int { buckets.withLock { $0.count } }

    /// Takes `cost` tokens from `key`'s bucket when it holds them.
    ///
    /// - Parameters:
    ///   - key: Whose bucket (an API key id).
    ///   - cost: Tokens the request takes (values below 1 count as 1). A cost above the burst is never
    ///     allowed: it is refused with the time a full refill takes, and should not be retried.
    ///   - nowMs: Now, in milliseconds of a monotonic clock (the same clock for every call).
    /// - Returns: Allowed with the tokens left, or refused with the tokens left and the seconds after
    ///   which the bucket holds `cost` tokens again (at least 1).
    public func take(key: String, cost: Int = 1, nowMs: Int64) -> RateDecision {
        let unitsPerToken = Self.unitsPerToken
        let capacity = Int64(limit.burst) * unitsPerToken
        let perMs = Int64(limit.requestsPerMinute)
        let fullRefillMs = (capacity + perMs - 1) / perMs
        let wanted = Int64(min(max(1, cost), limit.burst + 1)) * unitsPerToken
        return buckets.withLock { buckets in
            var bucket: Bucket
            if let existing = buckets[key] {
                bucket = existing
                let elapsed = min(max(0, nowMs - bucket.updatedMs), fullRefillMs)
                bucket.units = min(capacity, bucket.units + elapsed * perMs)
                bucket.updatedMs = max(bucket.updatedMs, nowMs)
            } else {
                if buckets.count >= maximumBuckets {
                    Self.makeRoom(
                        in: &buckets, capacity: capacity, perMs: perMs, fullRefillMs: fullRefillMs, nowMs: nowMs,
                        maximum: maximumBuckets)
                }
                bucket = Bucket(units: capacity, updatedMs: nowMs)
            }
            let allowed = bucket.units >= wanted
            if allowed { bucket.units -= wanted }
            buckets[key] = bucket
            var retryAfter = 0
            if !allowed {
                let waitMs = wanted > capacity ? fullRefillMs : (wanted - bucket.units + perMs - 1) / perMs
                retryAfter = Int(max(1, (waitMs + 999) / 1000))
            }
            return RateDecision(
                allowed: allowed, remaining: Int(bucket.units / unitsPerToken), retryAfterSeconds: retryAfter,
                limit: limit.burst)
        }
    }

    /// Frees at least a tenth of `maximum`: every bucket full by `nowMs` first, then, if that is not
    /// enough, the least recently updated.
    private static func makeRoom(
        in buckets: inout [String: Bucket], capacity: Int64, perMs: Int64, fullRefillMs: Int64, nowMs: Int64,
        maximum: Int
    ) {
        let target = maximum - max(1, maximum / 10)
        buckets = buckets.filter { _, bucket in
            bucket.units + min(max(0, nowMs - bucket.updatedMs), fullRefillMs) * perMs < capacity
        }
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.updatedMs < $1.value.updatedMs }.prefix(buckets.count - target)
        for (key, _) in oldest { buckets[key] = nil }
    }
}
