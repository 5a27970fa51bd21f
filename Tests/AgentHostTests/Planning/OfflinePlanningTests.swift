import Credentials
import Foundation
import JSON
import Service
import Testing
import ToolRuntime

@testable import AgentHost

/// The offline planner over a real registry: plans that run the tool a request names, inputs filled
/// from the request and checked by the schema, what is missing listed, honest low confidence when
/// nothing fits, deterministic answers, and refusals that name the field.
@Suite struct OfflinePlanningTests {
    static let unrelated = "book a flight to Reykjavik next tuesday"

    /// The first step of the first plan that runs `toolId`.
    static func step(_ response: PlanResponse, running toolId: String) throws -> PlanStep {
        try #require(response.plans.compactMap { $0.steps.first }.first { $0.toolId == toolId }, "\(response.json)")
    }

    /// The member names of an object (none for another value).
    static func keys(_ value: JSONValue) -> Set<String> { Set(value.objectValue?.keys.map { $0 } ?? []) }

    /// Runs `body`, expecting `INVALID_INPUT` naming `field`.
    static func expectInvalidInput(
        field: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws(OmegaError) -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected INVALID_INPUT naming \(field)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidInput, "\(error)", sourceLocation: sourceLocation)
            #expect(error.details["field"] == .string(field), "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(field + ":"), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aRequestNamingAToolsPurposeGetsAPlanThatRunsThatToolFirst() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let response = try await home.plan("Count the words in \"the quick brown fox\"")
        let first = try #require(response.best.steps.first)
        #expect(first.stepNumber == 1 && first.toolName == "registry_execute" && first.toolId == "text.word_count")
        #expect(first.toolVersion == "1.2.0")
        #expect(first.purpose.contains("Counts the words in a text"))
        #expect(first.expectedOutput == "The counts: an object with top, unique, words")
        #expect(response.query == "count words")
        #expect(response.best.reasoning.hasPrefix("Found \(response.toolsFound) relevant tools for this task"))
        #expect(response.best.reasoning.contains("text.word_count matches 'count words'"), "\(response.best.reasoning)")
        #expect(response.model == OfflinePlanner.identity)

        let unrelated = try await home.plan(Self.unrelated)
        #expect(response.best.confidence > unrelated.best.confidence)
        #expect(response.best.confidence > 0.3 && response.best.confidence < 1)
        // Best first, at most three, every plan numbered from 1.
        #expect(response.plans.count <= PlanRequest.maximumPlans)
        #expect(zip(response.plans, response.plans.dropFirst()).allSatisfy { $0.confidence >= $1.confidence })
        for plan in response.plans { #expect(plan.steps.map(\.stepNumber) == Array(1...plan.steps.count)) }
    }

    @Test func theInputIsFilledFromQuotedTextALinkANumberAndANamedEnumValue() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let quoted = try Self.step(
            try await home.plan("Count the words in \"the quick brown fox\""), running: "text.word_count")
        #expect(
            quoted.input == ["text": "the quick brown fox"] && quoted.inputValid == true && quoted.missingInputs.isEmpty
        )

        // The trailing full stop is not part of the link.
        let link = try Self.step(
            try await home.plan("Fetch the page https://example.com/docs?page=2."), running: "web.page_fetch")
        #expect(link.input == ["url": "https://example.com/docs?page=2"] && link.inputValid == true)

        let number = try Self.step(try await home.plan("Is 97 a prime number?"), running: "math.is_prime")
        #expect(number.input == ["n": 97] && number.inputValid == true)

        // A number goes to the property its neighbours name; an optional enum value only when the
        // request names the property too.
        let named = try Self.step(
            try await home.plan("Count the words of \"Guten Tag, guten Abend\" in language de and list the top 3"),
            running: "text.word_count")
        #expect(named.input == ["text": "Guten Tag, guten Abend", "language": "de", "top": 3], "\(named.json)")
        let unnamed = try Self.step(try await home.plan("Count the words in \"de la de\""), running: "text.word_count")
        #expect(unnamed.input == ["text": "de la de"])

        // The content after the instruction fills the one required text property, line breaks kept.
        let content = try Self.step(
            try await home.plan("Please count the words:\nhello there\nworld"), running: "text.word_count")
        #expect(content.input == ["text": "hello there\nworld"])
    }

    @Test func requiredInputsItCannotFillAreListedAsMissing() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let response = try await home.plan("Send an email to bob@example.com")
        let step = try #require(response.best.steps.first)
        #expect(step.toolId == "mail.send_message")
        #expect(step.input == ["to": "bob@example.com"] && step.inputValid == false)
        #expect(
            step.missingInputs == [
                MissingInput(name: "subject", description: "The subject line", type: "string"),
                MissingInput(name: "body", description: "The message", type: "string"),
            ])
        #expect(response.best.reasoning.contains("the inputs subject and body"), "\(response.best.reasoning)")

        // A value the schema refuses is not passed on: the input is listed with the validator's reason.
        let refused = try Self.step(try await home.plan("Is 1 a prime number?"), running: "math.is_prime")
        #expect(refused.input == [:] && refused.inputValid == false)
        #expect(refused.missingInputs.map(\.name) == ["n"] && refused.missingInputs[0].type == "integer")
        #expect(refused.missingInputs[0].problem?.contains("2") == true, "\(refused.json)")

        // An input with every required property that the schema still refuses says why.
        let compare = try await home.plan("compare two texts by lines")
        let partial = try Self.step(compare, running: "text.compare_two")
        #expect(partial.input == ["mode": "lines"] && partial.missingInputs.isEmpty && partial.inputValid == false)
        let reasoning = try #require(compare.plans.first { $0.steps.first?.toolId == "text.compare_two" }?.reasoning)
        #expect(reasoning.contains("does not yet satisfy the tool's input schema ("), "\(reasoning)")

        // Text to work on is asked for, not guessed from the instruction's own words.
        let noText = try Self.step(try await home.plan("count the words please"), running: "text.word_count")
        #expect(noText.input == [:] && noText.missingInputs.map(\.name) == ["text"])
    }

    @Test func requiredKeysTheVaultLacksAreListedPerStepUntilStored() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let before = try #require(try await home.plan("Send an email to bob@example.com").best.steps.first)
        #expect(
            before.missingEnvVars == [MissingEnvVar(name: "SMTP_PASSWORD", description: "Password of the SMTP account")]
        )
        #expect(
            before.json["missingEnvVars"] == [["name": "SMTP_PASSWORD", "description": "Password of the SMTP account"]])
        try CredentialService(home: home.registry.home).set("SMTP_PASSWORD", value: "hunter2-hunter2", scope: .global)
        let after = try await home.plan("Send an email to bob@example.com")
        let step = try #require(after.best.steps.first)
        #expect(step.toolId == "mail.send_message" && step.missingEnvVars.isEmpty && step.json["missingEnvVars"] == nil)
        #expect(!after.best.reasoning.contains("SMTP_PASSWORD"))
        #expect(!after.json.jsonText.contains("hunter2"))
    }

    @Test func aRequestWithNothingRelevantGetsALowConfidenceSearchPlanThatSaysSo() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let response = try await home.plan(Self.unrelated)
        #expect(response.toolsFound == 0 && response.plans.count == 1)
        #expect(response.best.steps.map(\.toolName) == ["registry_search", "registry_execute"])
        #expect(response.best.steps[0].input == ["query": "book flight reykjavik next tuesday"])
        #expect(response.best.confidence <= 0.1)
        #expect(
            response.best.reasoning
                == "No tool in the registry matches 'book flight reykjavik next tuesday'; a search with other words, or an imported index, may find one."
        )

        // Nothing to search for: the search step asks for its query.
        let bare = try await home.plan("https://example.com/ 42")
        #expect(bare.query.isEmpty && bare.plans.count == 1 && bare.best.steps[0].toolName == "registry_search")
        #expect(bare.best.steps[0].missingInputs.map(\.name) == ["query"] && bare.best.steps[0].input == nil)
        #expect(bare.best.reasoning.contains("names no task to search for"))
    }

    @Test func aToolPinnedForTheUserIsPlannedFirstAndSaysSo() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        _ = try home.registry.pin("weather.open_meteo", user: "alice")
        let text = "weather forecast for Paris"
        let alice = try await home.planner.plan(PlanRequest(text: text, user: "alice"))
        let planned = alice.plans.compactMap { $0.steps.first?.toolId }
        #expect(planned.first == "weather.open_meteo")
        #expect(alice.plans.contains { $0.reasoning.contains("weather.open_meteo is pinned for you") })
        #expect(alice.best.steps.first?.toolId == "weather.open_meteo", "\(alice.json)")
        // The tool that scores higher is offered after it, and says why it comes second.
        #expect(
            alice.plans.contains { $0.reasoning.contains("ranks after weather.open_meteo, which is pinned for you") })
        let local = try await home.plan(text)
        #expect(local.plans.compactMap { $0.steps.first?.toolId }.first != "weather.open_meteo")
        #expect(!local.json.jsonText.contains("pinned for you"))
    }

    @Test func alternativesLeaveOutTheFailedToolAndCarryTheKeysEachNeeds() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let failure = ToolFailure(toolId: "weather.forecast", version: "1.0.0", code: .missingEnvVars)
        let alternatives = try await home.planner.alternatives(for: failure)
        #expect(!alternatives.contains { $0.id == "weather.forecast" })
        #expect(Set(alternatives.map(\.id)) == ["weather.open_meteo", "weather.station", "weather.premium"])
        // The keys were the problem: the tools that need no missing key come first.
        #expect(alternatives.last?.id == "weather.premium")
        let premium = try #require(alternatives.last)
        #expect(premium.missingEnvVars == ["PREMIUM_WEATHER_KEY"] && premium.requiredEnvVars.map(\.missing) == [true])
        #expect(premium.json["missingEnvVars"] == ["PREMIUM_WEATHER_KEY"])
        #expect(premium.json["requiredEnvVars"]?.arrayValue?.first?["name"] == "PREMIUM_WEATHER_KEY")
        let station = try #require(alternatives.first { $0.id == "weather.station" })
        #expect(station.runnable && station.installed && station.requiredEnvVars.isEmpty)
        #expect(alternatives.allSatisfy { $0.score > 0 && !$0.version.isEmpty && !$0.title.isEmpty })

        // A failure of the task itself keeps the search's order (best score first), and the limit holds.
        let failed = try await home.planner.alternatives(
            for: ToolFailure(toolId: "weather.forecast", code: .toolFailed), user: nil, limit: 2)
        #expect(failed.count == 2 && failed[0].score >= failed[1].score && failed[0].id == "weather.premium")
        // The circuit was the problem: what can run now comes first.
        let unavailable = try await home.planner.alternatives(
            for: ToolFailure(toolId: "weather.forecast", code: .toolUnavailable))
        #expect(unavailable.first?.id == "weather.station")

        // Nothing like it: an empty list, for the host to say so.
        let none = try await home.planner.alternatives(for: ToolFailure(toolId: "zzqx.vvbn", code: .toolNotFound))
        #expect(none.isEmpty && none.json == [])
    }

    @Test func aChosenToolGetsOnePlanThatRunsItWithTheInputFilledFromTheRequest() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        // An alternative a person picked for a request that names another task.
        let chosen = try await home.planner.plan(
            PlanRequest(text: "weather forecast for \"Paris\"", toolID: "weather.station"))
        #expect(chosen.plans.count == 1)
        let plan = try #require(chosen.plans.first)
        #expect(plan.steps.map(\.toolId) == ["weather.station"] && plan.steps.first?.toolName == "registry_execute")
        #expect(plan.reasoning.contains("weather.station") && (0...1).contains(plan.confidence))
        #expect(plan.steps.first?.runnable == true)
        // One the request does not match at all is still planned, with a low confidence that says so.
        let unrelated = try await home.planner.plan(PlanRequest(text: Self.unrelated, toolID: "weather.premium"))
        #expect(unrelated.plans.first?.steps.first?.toolId == "weather.premium")
        #expect(unrelated.plans.first?.reasoning.contains("did not find") == true)
        #expect((unrelated.plans.first?.confidence ?? 1) <= (chosen.plans.first?.confidence ?? 0))
        // An id the registry does not know is refused naming the field.
        for id in ["no.such_tool", "../../etc", String(repeating: "x", count: 500)] {
            do {
                _ = try await home.planner.plan(PlanRequest(text: "weather", toolID: id))
                Issue.record("planned an unknown tool \(id.prefix(40))")
            } catch {
                #expect(error.code == .toolNotFound && error.details["field"] == "toolId")
                #expect(error.message.count < 200)
            }
        }
    }

    @Test func theSameRegistryAndRequestGiveTheSamePlans() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let requests = [
            "Count the words in \"the quick brown fox\"", "Send an email to bob@example.com", Self.unrelated,
            "weather forecast for Paris",
        ]
        let again = OfflinePlanner(
            registry: try RegistryService(configuration: RuntimeConfiguration(home: home.registry.home)))
        for text in requests {
            let first = try await home.plan(text)
            #expect(try await home.plan(text) == first)
            #expect(try await again.plan(PlanRequest(text: text)).json.jsonText == first.json.jsonText)
        }
        let failure = ToolFailure(toolId: "weather.forecast", code: .timeout)
        #expect(try await home.planner.alternatives(for: failure) == (try await again.alternatives(for: failure)))
    }

    @Test func hostileRequestsAreRefusedNamingTheField() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let hostile = [
            String(repeating: "count words ", count: 900),  // 10.8 KB
            "", "   \n\t  ", "count\u{0} words", "count \u{1B}[31mwords", "count words\u{7F}", "count\u{85}words",
        ]
        for text in hostile {
            await Self.expectInvalidInput(field: "request") { () async throws(OmegaError) in
                _ = try await home.planner.plan(PlanRequest(text: text))
            }
        }
        // At the limit it plans; tabs and line breaks are text.
        let longest = String(repeating: "x", count: PlanRequest.maximumBytes - 12) + " count words"
        #expect(try await home.plan(longest).plans.count >= 1)
        #expect(try await home.plan("count\twords\r\nnow").query == "count words")
        for maxPlans in [0, 4] {
            await Self.expectInvalidInput(field: "maxPlans") { () async throws(OmegaError) in
                _ = try await home.planner.plan(PlanRequest(text: "count words", maxPlans: maxPlans))
            }
        }
        await Self.expectInvalidInput(field: "toolId") { () async throws(OmegaError) in
            _ = try await home.planner.alternatives(for: ToolFailure(toolId: "../../etc/passwd", code: .toolFailed))
        }
        await Self.expectInvalidInput(field: "version") { () async throws(OmegaError) in
            _ = try await home.planner.alternatives(
                for: ToolFailure(toolId: "weather.forecast", version: "x", code: .timeout))
        }
        await Self.expectInvalidInput(field: "limit") { () async throws(OmegaError) in
            _ = try await home.planner.alternatives(
                for: ToolFailure(toolId: "weather.forecast", code: .timeout), user: nil, limit: 6)
        }
    }

    @Test func theResponseRendersTheFieldsOfDesignSection7() async throws {
        let home = try PlanningHome.make()
        defer { home.remove() }
        let response = try await home.plan("Count the words in \"the quick brown fox\"")
        let json = response.json
        #expect(Self.keys(json) == ["plan", "confidence", "reasoning", "plans", "model", "query", "toolsFound"])
        #expect(json["plan"] == response.best.json["plan"] && json["reasoning"] == .string(response.best.reasoning))
        #expect(json["plans"]?.arrayValue?.count == response.plans.count)
        #expect(json["model"] == ["provider": "omega", "model": "offline-planner", "version": "1"])
        let step = try #require(json["plan"]?.arrayValue?.first)
        #expect(
            step["stepNumber"] == 1 && step["toolName"] == "registry_execute" && step["toolId"] == "text.word_count")
        #expect(step["input"] == ["text": "the quick brown fox"] && step["expectedOutput"]?.stringValue != nil)
        #expect(step["purpose"]?.stringValue?.isEmpty == false)
        for plan in json["plans"]?.arrayValue ?? [] {
            #expect(Self.keys(plan) == ["plan", "confidence", "reasoning"])
            let confidence = try #require(plan["confidence"]?.doubleValue)
            #expect((0...1).contains(confidence))
        }
        let one = try await home.planner.plan(PlanRequest(text: "Count the words in \"a b\"", maxPlans: 1))
        #expect(one.plans.count == 1)
    }

    @Test func confidenceRisesWithTheScoreAndFallsWithACloseRunnerUp() {
        let scores = [0.0, 0.5, 1, 2, 4, 8, 16, 64]
        for (lower, higher) in zip(scores, scores.dropFirst()) {
            #expect(
                PlanConfidence.direct(score: lower, competitor: nil)
                    < PlanConfidence.direct(score: higher, competitor: nil))
            #expect(
                PlanConfidence.direct(score: lower, competitor: 1)
                    <= PlanConfidence.direct(score: higher, competitor: 1))
            #expect(
                PlanConfidence.direct(score: 8, competitor: lower)
                    >= PlanConfidence.direct(score: 8, competitor: higher))
            #expect(PlanConfidence.search(bestScore: lower) < PlanConfidence.search(bestScore: higher))
        }
        for score in scores + [.infinity, .nan, -3] {
            let values = [
                PlanConfidence.direct(score: score, competitor: 2), PlanConfidence.search(bestScore: score),
            ]
            #expect(values.allSatisfy { (0...1).contains($0) })
        }
        #expect(PlanConfidence.direct(score: PlanConfidence.saturation, competitor: nil) == 0.5)
        #expect(PlanConfidence.search(bestScore: nil) == PlanConfidence.searchFloor)
        // A weak, contested match ranks below searching again; a strong one above, even when contested.
        #expect(PlanConfidence.direct(score: 1, competitor: 0.9) < PlanConfidence.search(bestScore: 1))
        #expect(PlanConfidence.direct(score: 0.3, competitor: nil) < PlanConfidence.search(bestScore: 0.3))
        let strong = PlanConfidence.saturation / 2 + 0.01
        #expect(PlanConfidence.direct(score: strong, competitor: strong) > PlanConfidence.search(bestScore: strong))
    }
}
