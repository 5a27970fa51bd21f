import JSON
import Registry
import Service

extension OfflinePlanner {
    /// Longest purpose or expected-output sentence taken from a tool's own text, in characters.
    static let sentenceLimit = 160
    /// Most output property names an expected output lists.
    static let outputNames = 10

    // MARK: Steps

    /// The step that runs `hit` through `registry_execute`, its input filled from the request, and
    /// the validator's objection to that input when it does not validate.
    func toolStep(_ hit: ToolSearchResult, request: RequestText) -> (step: PlanStep, problem: String?) {
        let entry = hit.entry
        let filled = InputFiller(schema: entry.input, request: request).fill()
        let step = PlanStep(
            stepNumber: 1, toolName: "registry_execute", purpose: Self.purpose(entry), toolId: entry.id,
            toolVersion: entry.version.description, input: .object(filled.input), inputValid: filled.valid,
            expectedOutput: Self.expectedOutput(entry.output), missingInputs: filled.missing,
            missingEnvVars: hit.requiredEnvVars.filter(\.missing).map {
                MissingEnvVar(name: $0.name, description: $0.description)
            }, runnable: hit.runnable)
        return (step, filled.problem)
    }

    /// `registry_search` for `query`, then `registry_execute` of the tool the agent chooses.
    func searchSteps(_ query: String) -> [PlanStep] {
        let search =
            query.isEmpty
            ? PlanStep(
                stepNumber: 1, toolName: "registry_search", purpose: "Find tools for this request", inputValid: false,
                expectedOutput: Self.searchOutput,
                missingInputs: [
                    MissingInput(
                        name: "query", description: "Words that say what kind of tool to look for", type: "string")
                ])
            : PlanStep(
                stepNumber: 1, toolName: "registry_search", purpose: "Find tools for \(query)",
                input: ["query": .string(query)], inputValid: true, expectedOutput: Self.searchOutput)
        let execute = PlanStep(
            stepNumber: 2, toolName: "registry_execute", purpose: "Run the chosen tool",
            expectedOutput: "The chosen tool's JSON result")
        return [search, execute]
    }

    static let searchOutput =
        "Tools ranked by relevance, each with its id, version, score, required keys and whether it can run now"

    /// `Run Title (id): first sentence of the description.`
    static func purpose(_ entry: RegistryEntry) -> String {
        let name = entry.title.map { "\($0) (\(entry.id))" } ?? entry.id
        let sentence = firstSentence(entry.description)
        return sentence.isEmpty ? "Run \(name)" : "Run \(name): \(sentence)"
    }

    /// One sentence from the output schema: its description, and the top-level properties it lists.
    static func expectedOutput(_ schema: JSONValue?) -> String {
        guard let schema, case .object(let members) = schema else {
            return "The tool's JSON result (it publishes no output schema)"
        }
        let description = members["description"]?.stringValue.map(firstSentence) ?? ""
        var fields = ""
        if let properties = members["properties"]?.objectValue, !properties.isEmpty {
            let names = properties.keys.sorted()
            let shown = names.prefix(outputNames).joined(separator: ", ")
            let more = names.count > outputNames ? " and \(names.count - outputNames) more" : ""
            fields = "an object with \(shown)\(more)"
        } else if let type = members["type"]?.stringValue {
            fields = "a JSON \(type)"
        }
        switch (description.isEmpty, fields.isEmpty) {
        case (false, false):
            return "\(description.hasSuffix(".") ? String(description.dropLast()) : description): \(fields)"
        case (false, true): return description
        case (true, false): return fields.prefix(1).uppercased() + fields.dropFirst()
        case (true, true): return "The tool's JSON result"
        }
    }

    /// The text up to its first sentence end (`. `, `! `, `? ` or a line break), at most
    /// ``sentenceLimit`` characters (cut at a word, with `…`).
    static func firstSentence(_ text: String) -> String {
        var sentence = text.trimmingWhitespace()
        var index = sentence.startIndex
        while index < sentence.endIndex {
            let character = sentence[index]
            let next = sentence.index(after: index)
            if character.isNewline
                || (".!?".contains(character) && (next == sentence.endIndex || sentence[next] == " "))
            {
                sentence = String(sentence[..<(character.isNewline ? index : next)])
                break
            }
            index = next
        }
        guard sentence.count > sentenceLimit else { return sentence }
        let cut = sentence.prefix(sentenceLimit)
        let word = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return word + "…"
    }

    // MARK: Reasoning

    /// `Found 3 relevant tools for this task; text.word_count matches 'count words'.` and what is missing.
    func directReasoning(
        _ hits: [ToolSearchResult], rank: Int, step: PlanStep, problem: String?, request: RequestText, query: String
    ) -> String {
        let hit = hits[rank]
        let id = hit.entry.id
        let shared = Self.sharedWords(request, hit.entry)
        let matches = shared.isEmpty ? nil : "matches '\(shared.joined(separator: " "))'"
        var first: String
        if rank == 0 {
            let found = "Found \(Self.count(hits.count)) relevant tool\(hits.count == 1 ? "" : "s") for this task"
            let how =
                hit.pinned
                ? "is pinned for you and \(matches ?? "matches the request")" : matches ?? "ranks first for '\(query)'"
            first = "\(found); \(id) \(how)."
        } else {
            let lead = hits[0]
            let scores = "score \(Self.format(hit.score)) against \(Self.format(lead.score))"
            first =
                (lead.pinned && !hit.pinned
                    ? "\(id) ranks after \(lead.entry.id), which is pinned for you (\(scores))"
                    : "\(id) is the runner-up (\(scores) for \(lead.entry.id))")
                + (matches.map { "; it \($0)." } ?? ".")
        }
        var needs: [String] = []
        if !step.missingInputs.isEmpty {
            let names = step.missingInputs.map(\.name)
            needs.append("the input\(names.count == 1 ? "" : "s") \(Self.list(names))")
        }
        if !step.missingEnvVars.isEmpty {
            let names = step.missingEnvVars.map(\.name)
            needs.append("the key\(names.count == 1 ? "" : "s") \(Self.list(names))")
        }
        if !needs.isEmpty {
            first += " It still needs \(needs.joined(separator: " and ")) before it can run."
        } else if step.inputValid == false {
            let why = problem.map { " (\(Self.clipped($0)))" } ?? ""
            first += " Its input does not yet satisfy the tool's input schema\(why)."
        }
        return first
    }

    /// Why search first: nothing found, nothing to search for, or only weak matches.
    func searchReasoning(_ hits: [ToolSearchResult], query: String, weak: Bool) -> String {
        if query.isEmpty {
            return "The request names no task to search for (only quoted text, links, addresses or numbers); "
                + "a search needs words that say what to do."
        }
        guard let best = hits.first else {
            return
                "No tool in the registry matches '\(query)'; a search with other words, or an imported index, may find one."
        }
        let found = "\(Self.count(hits.count)) tool\(hits.count == 1 ? "" : "s")"
        if weak {
            return "Found \(found) for '\(query)', none a clear match (the best, \(best.entry.id), scores "
                + "\(Self.format(best.score))); search again and let the agent choose."
        }
        if hits.count == 1 {
            return "Search the registry for '\(query)' and let the agent judge the one tool found, \(best.entry.id), "
                + "or search with other words."
        }
        return "Search the registry for '\(query)' and let the agent choose among the \(found) found, "
            + "in case \(best.entry.id) is not the right one."
    }

    /// The request's task words (as written, lowercased) that the tool's id, title, keywords or
    /// description share, compared in ``Vocabulary/normalized(_:)`` form, in the request's order.
    static func sharedWords(_ request: RequestText, _ entry: RegistryEntry) -> [String] {
        let text = ([entry.id, entry.title ?? ""] + entry.keywords + [entry.description]).joined(separator: " ")
        let vocabulary = Set(Vocabulary.words(text))
        return request.taskWords.map(\.lowered).filter { word in
            Vocabulary.words(word).contains { vocabulary.contains($0) }
        }
    }

    /// `text` cut to ``sentenceLimit`` characters (with `…`).
    static func clipped(_ text: String) -> String {
        text.count > sentenceLimit ? text.prefix(sentenceLimit) + "…" : text
    }

    /// `3`, or `10 or more` at the search limit.
    static func count(_ n: Int) -> String { n >= searchLimit ? "\(n) or more" : "\(n)" }

    /// A score with two decimals.
    static func format(_ score: Double) -> String {
        let hundredths = Int((score * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
