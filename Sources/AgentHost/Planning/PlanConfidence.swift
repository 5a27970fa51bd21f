/// How the offline planner turns search scores into a plan's confidence (0…1).
///
/// A BM25F score grows with how many of the request's words a tool shares and how rare they are, with
/// no upper bound. Two things make a direct plan likely to be right: a strong score, and a clear lead
/// over the next tool.
///
/// - **strength** `s / (s + K)`, with the saturation constant ``saturation`` `K`: half-way at `K`,
///   0 for no match, approaching 1 for a strong one. `K` is chosen so that a tool sharing two of the
///   request's distinctive words with its name, title or keywords reaches about one half in a registry
///   of a few dozen tools (where such a word weighs about 2); in a large registry rare words weigh
///   more and near ties (the margin below) weigh against.
/// - **margin** `(s − r) / s`, clamped to 0…1, where `r` is the best score of the other tools that
///   compete with it: every other tool found, or for a tool pinned for the user only the other pinned
///   tools (a pin is the user's choice among the tools that match). 1 when there is none.
/// - **direct plan** (run one found tool): `strength × (0.6 + 0.4 × margin)`.
/// - **search plan** (search, then let the agent choose): `0.05 + 0.45 × strength(best score)`: a
///   floor of 0.05 when nothing matched (a search with other words may still find a tool). A direct
///   plan outranks it whenever its strength is above one third (a score above `K / 2`), whatever the
///   margin; below a strength of 1/11 it never does; in between, only with a clear lead. So a weak,
///   contested hit never outranks asking the registry again.
///
/// Both are monotonic: a higher own score never lowers a direct plan's confidence, a higher
/// competing score never raises it, and a higher best score never lowers a search plan's. Nothing else
/// (missing inputs or keys) enters: those are listed on the steps, not guessed into a number.
public enum PlanConfidence {
    /// The score at which strength is one half.
    public static let saturation = 4.0
    /// Strength's share of a direct plan's confidence when the margin is nil (a tie).
    public static let tieShare = 0.6
    /// A search plan's confidence when nothing matched.
    public static let searchFloor = 0.05
    /// How much of the best strength a search plan adds to its floor.
    public static let searchShare = 0.45

    /// `s / (s + K)`; 0 for a score that is not positive or not finite.
    public static func strength(_ score: Double) -> Double {
        guard score.isFinite, score > 0 else { return 0 }
        return score / (score + saturation)
    }

    /// `(s − r) / s` clamped to 0…1; 1 when there is no competitor, 0 when `s` is not positive.
    public static func margin(_ score: Double, over competitor: Double?) -> Double {
        guard score.isFinite, score > 0 else { return 0 }
        guard let competitor, competitor.isFinite, competitor > 0 else { return 1 }
        return min(1, max(0, (score - competitor) / score))
    }

    /// The confidence of a plan that runs the tool scoring `score`, when the best other tool found
    /// scored `competitor` (nil: none).
    public static func direct(score: Double, competitor: Double?) -> Double {
        strength(score) * (tieShare + (1 - tieShare) * margin(score, over: competitor))
    }

    /// The confidence of a plan that searches first, when the best tool found scored `bestScore` (nil:
    /// nothing was found).
    public static func search(bestScore: Double?) -> Double {
        searchFloor + searchShare * strength(bestScore ?? 0)
    }
}
