#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant in whole seconds since the Unix epoch (UTC), used for approvals.
///
/// The engine never reads the clock itself: callers pass `now`, so tests control time and the
/// executor decides which clock is authoritative.
public struct PolicyTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int64

    /// The instant `secondsSinceEpoch` seconds after the epoch.
    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// The current wall-clock time (`clock_gettime(CLOCK_REALTIME)`), truncated to whole seconds.
    public static func now() -> PolicyTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return PolicyTimestamp(secondsSinceEpoch: Int64(spec.tv_sec))
    }

    /// This instant moved by `seconds` (saturating instead of overflowing).
    ///
    /// - Parameter seconds: How far to move (may be negative).
    /// - Returns: The moved instant.
    public func adding(seconds: Int64) -> PolicyTimestamp {
        let (sum, overflow) = secondsSinceEpoch.addingReportingOverflow(seconds)
        return PolicyTimestamp(secondsSinceEpoch: overflow ? (seconds > 0 ? .max : .min) : sum)
    }

    /// Earlier instants first.
    public static func < (lhs: PolicyTimestamp, rhs: PolicyTimestamp) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    /// `@1700000000` (seconds since the epoch).
    public var description: String { "@\(secondsSinceEpoch)" }
}
