import JSON
import Service
import ToolRuntime

/// The built-in model provider: plans from the registry alone, with no network and no key (DESIGN §12).
///
/// For a request it:
/// 1. validates the text (``PlanRequest``; `INVALID_INPUT` naming `request` otherwise);
/// 2. searches the registry with the words that say what to do: the words outside quotes, links,
///    addresses and numbers, before the content when the request has one (`Count the words: …`),
///    without English function words (``PlanResponse/query``), for the request's user (pins first);
/// 3. proposes up to three plans, best (highest ``Plan/confidence``) first: one that runs the first
///    tool found through `registry_execute`, one that runs the second, and one that starts with
///    `registry_search` and lets the agent choose (the only plan when nothing was found). Confidence
///    comes from the search scores alone (``PlanConfidence``);
/// 4. fills each tool's input from the request as far as its input schema allows (``InputFiller``'s
///    rules; every value checked by the schema validator) and lists on the step the required inputs
///    it could not fill (`missingInputs`) and the required keys the vault lacks (`missingEnvVars`).
///
/// Guarantees: it runs nothing and writes nothing; the same registry (tools, pins, vault names) and the
/// same request give the same response; a plan's steps are numbered from 1 in the order they run;
/// reasoning says what was found and what is missing, in at most two sentences.
public struct OfflinePlanner: ModelProvider {
    /// The planner's identity. The version changes whenever its rules would plan differently.
    public static let identity = ModelIdentity(provider: "omega", model: "offline-planner", version: "1")
    /// Most tools one plan search asks the registry for.
    public static let searchLimit = 10
    /// Most tools considered for direct plans (the rest of the plans start with a search).
    public static let directPlans = 2
    /// Most alternatives ``alternatives(for:user:limit:)`` returns.
    public static let maximumAlternatives = 5

    /// Where tools are searched.
    public let registry: RegistryService

    /// A planner over `registry`.
    public init(registry: RegistryService) { self.registry = registry }

    /// ``identity``.
    public var identity: ModelIdentity { Self.identity }

    /// Proposes plans for `request` (see the type's summary); ``planNow(_:)`` without `async`.
    public func plan(_ request: PlanRequest) async throws(OmegaError) -> PlanResponse {
        try planNow(request)
    }

    /// Proposes plans for `request`, synchronously (it only reads the registry).
    ///
    /// - Returns: 1…`request.maxPlans` plans, best first.
    /// - Throws: `INVALID_INPUT` naming `request` (empty or blank, over 4,096 bytes, control characters)
    ///   or `maxPlans` (not 1…3); `INTERNAL_ERROR` when the registry cannot be read.
    public func planNow(_ request: PlanRequest) throws(OmegaError) -> PlanResponse {
        let text = try RequestText(request.text, field: "request")
        guard (1...PlanRequest.maximumPlans).contains(request.maxPlans) else {
            throw OmegaError(
                .invalidInput,
                "maxPlans: expected an integer from 1 to \(PlanRequest.maximumPlans), got \(request.maxPlans)",
                details: ["field": "maxPlans"])
        }
        let query = text.searchQuery
        let hits = try search(query, user: request.user)
        if let toolID = request.toolID { return try chosenPlan(toolID, hits: hits, request: request, text: text) }

        var candidates: [Plan] = []
        for rank in hits.indices.prefix(Self.directPlans) {
            // A pinned tool competes only with the other pinned tools (see PlanConfidence).
            let competitor = hits.indices.filter { $0 != rank && (hits[$0].pinned || !hits[rank].pinned) }
                .map { hits[$0].score }.max()
            let (step, problem) = toolStep(hits[rank], request: text)
            candidates.append(
                Plan(
                    steps: [step], confidence: PlanConfidence.direct(score: hits[rank].score, competitor: competitor),
                    reasoning: directReasoning(
                        hits, rank: rank, step: step, problem: problem, request: text, query: query)))
        }
        let searchConfidence = PlanConfidence.search(bestScore: hits.first?.score)
        let weak = candidates.first.map { $0.confidence < searchConfidence } ?? true
        candidates.append(
            Plan(
                steps: searchSteps(query), confidence: searchConfidence,
                reasoning: searchReasoning(hits, query: query, weak: weak)))

        // Best first; on a tie the earlier candidate (a direct plan before the search plan).
        let ranked = candidates.enumerated().sorted {
            $0.element.confidence != $1.element.confidence
                ? $0.element.confidence > $1.element.confidence : $0.offset < $1.offset
        }.map(\.element)
        return PlanResponse(
            plans: Array(ranked.prefix(request.maxPlans)), model: identity, query: query, toolsFound: hits.count)
    }

    /// The one plan that runs `toolID`, which a person chose, for `text`: its confidence from the tool's
    /// score for the request among `hits` (0 when the search did not find it), its input filled from
    /// the request, what is missing listed.
    ///
    /// - Throws: `TOOL_NOT_FOUND` naming `toolId` when the registry does not know the tool.
    func chosenPlan(_ toolID: String, hits: [ToolSearchResult], request: PlanRequest, text: RequestText)
        throws(OmegaError) -> PlanResponse
    {
        guard var chosen = try registry.describe(toolID, user: request.user) else {
            throw OmegaError(
                .toolNotFound, "no tool \"\(OmegaError.shown(toolID))\" in the registry", details: ["field": "toolId"])
        }
        let rank = hits.firstIndex { $0.entry.id == toolID }
        chosen.score = rank.map { hits[$0].score } ?? 0
        let competitor = hits.filter { $0.entry.id != toolID }.map(\.score).max()
        let (step, problem) = toolStep(chosen, request: text)
        var reasoning = "Runs \(toolID), the tool chosen for this request"
        if rank == nil { reasoning += ", which the search for it did not find" }
        reasoning += problem.map { " (\(Self.clipped($0)))." } ?? "."
        let plan = Plan(
            steps: [step], confidence: PlanConfidence.direct(score: chosen.score, competitor: competitor),
            reasoning: reasoning)
        return PlanResponse(plans: [plan], model: identity, query: text.searchQuery, toolsFound: hits.count)
    }

    /// The registry's results for `query` (none for an empty query, or one with no searchable word).
    func search(_ query: String, user: String?, limit: Int = OfflinePlanner.searchLimit) throws(OmegaError)
        -> [ToolSearchResult]
    {
        guard !query.isEmpty else { return [] }
        do {
            return try registry.search(ToolSearchRequest(query: query, limit: limit, user: user))
        } catch {
            // A query the search finds no word in is a search that finds nothing.
            guard error.code == .invalidInput && error.details["field"] == "query" else { throw error }
            return []
        }
    }
}
