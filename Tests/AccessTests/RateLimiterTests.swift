import Foundation
import JSON
import TestSupport
import Testing

@testable import Access

/// The per-key token bucket: bursts then refusals with the right `Retry-After`, exact refill, keys
/// apart, costs above one, no more than burst plus refill under contention, and bounded memory.
@Suite struct RateLimiterTests {
    /// A limiter of `perMinute` requests a minute with bursts of `burst`.
    func limiter(perMinute: Int, burst: Int, maximumBuckets: Int = RateLimiter.defaultMaximumBuckets) throws
        -> RateLimiter
    {
        RateLimiter(limit: try RateLimit(requestsPerMinute: perMinute, burst: burst), maximumBuckets: maximumBuckets)
    }

    @Test func aBurstIsAllowedThenRefusedWithTheSecondsUntilATokenIsBack() throws {
        let limiter = try limiter(perMinute: 6, burst: 5)  // one token every 10 s
        for remaining in (0..<5).reversed() {
            #expect(
                limiter.take(key: "key_a", nowMs: 0)
                    == RateDecision(allowed: true, remaining: remaining, retryAfterSeconds: 0, limit: 5))
        }
        #expect(
            limiter.take(key: "key_a", nowMs: 0)
                == RateDecision(allowed: false, remaining: 0, retryAfterSeconds: 10, limit: 5))
        #expect(limiter.take(key: "key_a", nowMs: 9_000).retryAfterSeconds == 1)
        #expect(limiter.take(key: "key_a", nowMs: 9_999).retryAfterSeconds == 1)  // 1 ms left: still a whole second
        #expect(
            limiter.take(key: "key_a", nowMs: 10_000)
                == RateDecision(allowed: true, remaining: 0, retryAfterSeconds: 0, limit: 5))
        #expect(limiter.take(key: "key_a", nowMs: 10_000).retryAfterSeconds == 10)

        let fast = try self.limiter(perMinute: 120, burst: 2)  // one token every 500 ms
        _ = fast.take(key: "k", nowMs: 0)
        _ = fast.take(key: "k", nowMs: 0)
        #expect(fast.take(key: "k", nowMs: 0).retryAfterSeconds == 1)  // at least 1
    }

    @Test func tokensRefillOverTimeUpToTheBurst() throws {
        let limiter = try limiter(perMinute: 120, burst: 10)  // 2 a second
        for _ in 0..<10 { #expect(limiter.take(key: "k", nowMs: 1_000).allowed) }
        #expect(!limiter.take(key: "k", nowMs: 1_499).allowed)
        #expect(limiter.take(key: "k", nowMs: 1_500).allowed)
        #expect(!limiter.take(key: "k", nowMs: 1_500).allowed)
        #expect(limiter.take(key: "k", nowMs: 3_500).remaining == 3)  // 4 back after 2 s, one taken
        let idle = limiter.take(key: "k", nowMs: 1_000_000_000)  // a long idle fills the bucket, no more
        #expect(idle.allowed && idle.remaining == 9)

        // Exact arithmetic: 7 a minute, polled every ms for a minute, gives exactly 7 tokens after the burst
        // (a burst of 2 so that the bucket is never full, where a fraction of a token would be lost).
        let odd = try self.limiter(perMinute: 7, burst: 2)
        var allowed = 0
        for now in 0...60_000 where odd.take(key: "k", nowMs: Int64(now)).allowed { allowed += 1 }
        #expect(allowed == 2 + 7)
    }

    @Test func timeGoingBackRefillsNothing() throws {
        let limiter = try limiter(perMinute: 60, burst: 1)
        #expect(limiter.take(key: "k", nowMs: 5_000).allowed)
        #expect(!limiter.take(key: "k", nowMs: 1_000).allowed)
        #expect(!limiter.take(key: "k", nowMs: 5_999).allowed)
        #expect(limiter.take(key: "k", nowMs: 6_000).allowed)
    }

    @Test func keysHaveIndependentBuckets() throws {
        let limiter = try limiter(perMinute: 60, burst: 3)
        for _ in 0..<3 { #expect(limiter.take(key: "key_a", nowMs: 0).allowed) }
        #expect(!limiter.take(key: "key_a", nowMs: 0).allowed)
        #expect(
            limiter.take(key: "key_b", nowMs: 0)
                == RateDecision(allowed: true, remaining: 2, retryAfterSeconds: 0, limit: 3))
        #expect(!limiter.take(key: "key_a", nowMs: 0).allowed)
        #expect(limiter.bucketCount == 2)
    }

    @Test func aCostAboveOneTakesThatManyTokens() throws {
        let limiter = try limiter(perMinute: 60, burst: 10)  // one a second
        #expect(limiter.take(key: "k", cost: 4, nowMs: 0).remaining == 6)
        #expect(limiter.take(key: "k", cost: 4, nowMs: 0).remaining == 2)
        let refused = limiter.take(key: "k", cost: 4, nowMs: 0)
        #expect(refused == RateDecision(allowed: false, remaining: 2, retryAfterSeconds: 2, limit: 10))
        #expect(limiter.take(key: "k", cost: 2, nowMs: 0).allowed)
        #expect(limiter.take(key: "k", cost: 0, nowMs: 1_000).allowed)  // counts as 1
        #expect(!limiter.take(key: "k", nowMs: 1_000).allowed)

        let overBurst = limiter.take(key: "fresh", cost: 11, nowMs: 0)
        #expect(!overBurst.allowed && overBurst.remaining == 10 && overBurst.retryAfterSeconds == 10)
        #expect(!limiter.take(key: "fresh", cost: .max, nowMs: 0).allowed)
    }

    @Test func manyThreadsNeverGetMoreThanTheBurstPlusTheRefill() throws {
        let limiter = try limiter(perMinute: 6_000, burst: 50)  // 100 a second
        let threads = 8
        let allowed = Counter()
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                var mine = 0
                for now in 0..<1_000 where limiter.take(key: "shared", nowMs: Int64(now)).allowed { mine += 1 }
                for _ in 0..<100 where limiter.take(key: "frozen", nowMs: 0).allowed { mine += 1_000_000 }
                allowed.add(mine)
            }.start()
        }
        group.wait()
        // 50 at once, then 99.9 tokens over 999 ms: every whole token is taken, never one more.
        #expect(allowed.value % 1_000_000 == 50 + 99)
        #expect(allowed.value / 1_000_000 == 50)
    }

    @Test func memoryIsBoundedAndDropsFullBucketsFirst() throws {
        let limiter = try limiter(perMinute: 60, burst: 5, maximumBuckets: 1_000)
        for index in 0..<10_000 { _ = limiter.take(key: "key_\(index)", nowMs: 0) }
        #expect(limiter.bucketCount <= 1_000)

        // A drained bucket survives newcomers while full ones can be dropped instead.
        let bounded = try self.limiter(perMinute: 60, burst: 5, maximumBuckets: 100)
        for index in 0..<99 { _ = bounded.take(key: "idle_\(index)", nowMs: 0) }
        for _ in 0..<5 { _ = bounded.take(key: "victim", nowMs: 9_000) }
        _ = bounded.take(key: "newcomer", nowMs: 10_000)  // the idle ones are full again, the victim is not
        #expect(bounded.bucketCount == 2)
        #expect(!bounded.take(key: "victim", nowMs: 9_000).allowed)

        // Even dropped while drained, a key gains at most one burst.
        let flooded = try self.limiter(perMinute: 60, burst: 5, maximumBuckets: 100)
        var victim = 0
        for _ in 0..<5 where flooded.take(key: "victim", nowMs: 0).allowed { victim += 1 }
        for index in 0..<1_000 { _ = flooded.take(key: "flood_\(index)", nowMs: 0) }
        for _ in 0..<20 where flooded.take(key: "victim", nowMs: 0).allowed { victim += 1 }
        #expect(victim <= 2 * 5)
        #expect(flooded.bucketCount <= 100)
    }

    @Test func configurationIsReadFromJSONWithFieldNamedErrors() throws {
        let limit = try RateLimit(json: ["requestsPerMinute": 120, "burst": 60])
        #expect(limit.requestsPerMinute == 120 && limit.burst == 60 && limit.capacity == 60)
        #expect(limit.refillPerSecond == 2)
        #expect(try RateLimit(json: ["requestsPerMinute": 90.0, "burst": 1]).refillPerSecond == 1.5)
        #expect(try RateLimit(json: limit.json) == limit)

        let cases: [(JSONValue, String)] = [
            (["burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": 120], "burst"),
            (["requestsPerMinute": 0, "burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": -5, "burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": 1_000_001, "burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": "120", "burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": 1.5, "burst": 60], "requestsPerMinute"),
            (["requestsPerMinute": 120, "burst": 0], "burst"),
            (["requestsPerMinute": 120, "burst": 100_001], "burst"),
            (["requestsPerMinute": 120, "burst": true], "burst"),
            (["requestsPerMinute": 120, "burst": 60, "rpm": 1], "rpm"),
            ([120, 60], "rateLimit"),
        ]
        for (json, field) in cases {
            let error = #expect(throws: AccessError.self, "\(json.jsonText)") { try RateLimit(json: json) }
            #expect(
                error?.code == .invalidInput && error?.field == field, "\(json.jsonText): \(String(describing: error))")
            #expect(error?.message.hasPrefix(field + ":") == true)
        }
    }
}

/// A sum several threads add to.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0

    func add(_ amount: Int) { lock.withLock { total += amount } }
    var value: Int { lock.withLock { total } }
}
