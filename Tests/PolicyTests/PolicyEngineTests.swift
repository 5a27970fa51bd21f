import Foundation
import JSON
import Testing

@testable import Policy

/// The policy engine: deny by default, narrowest level wins, deny beats allow, approvals bound to
/// tool id + version + canonical input, strict policy files, and globs that never mean more than
/// they say.
@Suite struct PolicyEngineTests {
    // MARK: Fixtures

    static let paths: [PolicyLevel: String] = [
        .workspace: "/ws/Policies/policy.json", .project: "/proj/Policies/policy.json", .user: "/home/u/policy.json",
    ]

    /// A policy from a compact list of grants: `"allow read_web"`, `"deny write_files web.*,mail.send"`.
    static func policy(_ level: PolicyLevel, _ grants: [String], extra: String = "") -> String {
        let items = grants.map { spec -> String in
            let parts = spec.split(separator: " ").map(String.init)
            var item = #"{"effect":"\#(parts[0])","scope":"\#(parts[1])""#
            if parts.count > 2 {
                item += #","tools":["# + parts[2].split(separator: ",").map { "\"\($0)\"" }.joined(separator: ",") + "]"
            }
            return item + "}"
        }
        return #"{"policyVersion":1,"grants":[\#(items.joined(separator: ","))]\#(extra)}"#
    }

    static func engine(workspace: String? = nil, project: String? = nil, user: String? = nil) throws -> PolicyEngine {
        func load(_ text: String?, _ level: PolicyLevel) throws -> PolicyFile? {
            try text.map { try PolicyFile(parsing: $0, path: paths[level]!) }
        }
        return PolicyEngine(
            workspace: try load(workspace, .workspace), project: try load(project, .project),
            user: try load(user, .user))
    }

    static func request(
        _ tool: String = "web.fetch", scopes: [String] = ["read_web"], risk: PolicyRequest.RiskLevel = .low,
        externalWrite: Bool = false, version: String = "1.0.0", input: JSONValue = ["url": "https://example.com"]
    ) -> PolicyRequest {
        PolicyRequest(
            toolID: tool, toolVersion: version, scopes: scopes, risk: risk, externalWrite: externalWrite,
            readOnly: !externalWrite, input: input)
    }

    // MARK: Scope rulings

    struct ScopeCase: CustomTestStringConvertible, Sendable {
        var name: String
        var workspace: [String]? = nil
        var project: [String]? = nil
        var user: [String]? = nil
        var tool = "web.fetch"
        var scope = "read_web"
        /// nil: denied by default (no rule); else the deciding rule's effect, level and grant index.
        var decided: (PolicyEffect, PolicyLevel, Int)?
        var overridden = 0
        var testDescription: String { name }
    }

    static let scopeCases: [ScopeCase] = [
        ScopeCase(name: "deny by default with no policy at all", decided: nil),
        ScopeCase(name: "deny by default when only other scopes are granted", user: ["allow read_files"], decided: nil),
        ScopeCase(name: "allow at user level", user: ["allow read_web"], decided: (.allow, .user, 0)),
        ScopeCase(
            name: "deny at project overrides allow at user", project: ["deny read_web"], user: ["allow read_web"],
            decided: (.deny, .project, 0), overridden: 1),
        ScopeCase(
            name: "allow at workspace overrides deny at project (narrowest wins)", workspace: ["allow read_web"],
            project: ["deny read_web"], decided: (.allow, .workspace, 0), overridden: 1),
        ScopeCase(
            name: "deny beats allow at the same level", user: ["allow read_web", "deny read_web", "allow read_web"],
            decided: (.deny, .user, 1), overridden: 2),
        ScopeCase(
            name: "a more specific allow glob does not beat a deny at the same level",
            project: ["deny read_web", "allow read_web web.fetch"], decided: (.deny, .project, 0), overridden: 1),
        ScopeCase(
            name: "a narrower level wins even with a less specific glob", workspace: ["deny read_web"],
            user: ["allow read_web web.fetch"], decided: (.deny, .workspace, 0), overridden: 1),
        ScopeCase(
            name: "a grant for other tools says nothing, so the wider level decides",
            workspace: ["deny read_web mail.*"], user: ["allow read_web"], decided: (.allow, .user, 0)),
        ScopeCase(name: "tool glob matches", user: ["allow read_web web.*"], decided: (.allow, .user, 0)),
        ScopeCase(
            name: "tool glob does not match another namespace", user: ["allow read_web web.*"], tool: "webx.fetch",
            decided: nil),
        ScopeCase(
            name: "single-segment * does not cross a dot", user: ["allow read_web web.*"], tool: "web.search.news",
            decided: nil),
        ScopeCase(
            name: "** matches deeper ids", user: ["allow read_web web.**"], tool: "web.search.news",
            decided: (.allow, .user, 0)),
        ScopeCase(
            name: "exact tool id in a list", user: ["allow read_web mail.send,web.fetch"], decided: (.allow, .user, 0)),
        ScopeCase(
            name: "deny via glob at the same level beats a blanket allow",
            user: ["allow read_web", "deny read_web web.*"], decided: (.deny, .user, 1), overridden: 1),
        ScopeCase(
            name: "a grant of a different scope does not leak", user: ["allow read_files", "allow write_files"],
            scope: "read_web", decided: nil),
    ]

    @Test(arguments: scopeCases)
    func scopeRulings(_ c: ScopeCase) throws {
        let engine = try Self.engine(
            workspace: c.workspace.map { Self.policy(.workspace, $0) },
            project: c.project.map { Self.policy(.project, $0) },
            user: c.user.map { Self.policy(.user, $0) })
        let decision = engine.evaluate(Self.request(c.tool, scopes: [c.scope]))
        let ruling = try #require(decision.explanation.scopes.first)
        #expect(ruling.scope == c.scope)
        if let (effect, level, index) = c.decided {
            #expect(ruling.effect == effect)
            #expect(ruling.decidedBy?.level == level)
            #expect(ruling.decidedBy?.path == Self.paths[level])
            #expect(ruling.decidedBy?.grantIndex == index)
            #expect(ruling.decidedBy?.effect == effect)
            #expect(decision.isAllowed == (effect == .allow))
            if effect == .deny {
                #expect(decision.reason?.contains("scope \(c.scope) is denied by \(level) policy") == true)
                #expect(decision.reason?.contains("grants[\(index)]") == true)
            }
        } else {
            #expect(ruling.effect == .deny)
            #expect(ruling.decidedBy == nil)
            #expect(decision.reason == "scope \(c.scope) is not granted at any level (deny by default)")
            #expect(ruling.description.contains("not granted at any level"))
        }
        #expect(ruling.overridden.count == c.overridden)
    }

    @Test func everyDeniedScopeIsNamedAndOthersStillExplained() throws {
        let engine = try Self.engine(
            project: Self.policy(.project, ["deny write_files"]), user: Self.policy(.user, ["allow read_web"]))
        let decision = engine.evaluate(Self.request(scopes: ["read_web", "write_files", "send_email", "read_web"]))
        guard case .deny(let reason, let explanation) = decision else { Issue.record("expected deny"); return }
        #expect(explanation.scopes.map(\.scope) == ["read_web", "write_files", "send_email"])
        #expect(explanation.deniedScopes.map(\.scope) == ["write_files", "send_email"])
        #expect(reason.contains("scope write_files is denied by project policy (/proj/Policies/policy.json) grants[0]"))
        #expect(reason.contains("scope send_email is not granted at any level"))
        #expect(decision.errorCode == "POLICY_DENIED")
    }

    // MARK: Approval triggers

    struct TriggerCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request: PolicyRequest
        var workspaceExtra = ""
        var userExtra = ""
        var triggers: [ApprovalTrigger]
        var reasonParts: [String]
        var testDescription: String { name }
    }

    static let ws = PolicySource(level: .workspace, path: paths[.workspace]!)
    static let usr = PolicySource(level: .user, path: paths[.user]!)

    static let triggerCases: [TriggerCase] = [
        TriggerCase(name: "plain granted request is allowed", request: request(), triggers: [], reasonParts: []),
        TriggerCase(
            name: "medium risk alone is allowed", request: request(risk: .medium), triggers: [], reasonParts: []),
        TriggerCase(
            name: "externalWrite needs approval", request: request(externalWrite: true), triggers: [.externalWrite],
            reasonParts: ["externalWrite"]),
        TriggerCase(
            name: "high risk needs approval", request: request(risk: .high), triggers: [.highRisk],
            reasonParts: ["risk is high"]),
        TriggerCase(
            name: "elevated scope needs approval, citing the narrowest level",
            request: request(scopes: ["read_web", "write_github"]),
            workspaceExtra: #","elevatedScopes":["write_github"]"#, userExtra: #","elevatedScopes":["write_github"]"#,
            triggers: [.elevatedScope("write_github", ws)],
            reasonParts: ["scope write_github is elevated by the workspace policy (/ws/Policies/policy.json)"]),
        TriggerCase(
            name: "a wider level's elevation cannot be undone by a narrower level",
            request: request(scopes: ["write_github"]), workspaceExtra: #","elevatedScopes":[]"#,
            userExtra: #","elevatedScopes":["write_github"]"#, triggers: [.elevatedScope("write_github", usr)],
            reasonParts: ["elevated by the user policy"]),
        TriggerCase(
            name: "safe mode needs approval even for a harmless call", request: request(),
            userExtra: #","safeMode":true"#, triggers: [.safeMode(usr)],
            reasonParts: ["safe mode is on in the user policy"]),
        TriggerCase(
            name: "safe mode false at a narrower level does not switch it off", request: request(),
            workspaceExtra: #","safeMode":false"#, userExtra: #","safeMode":true"#, triggers: [.safeMode(usr)],
            reasonParts: ["safe mode"]),
        TriggerCase(
            name: "every trigger is listed, in a fixed order",
            request: request(scopes: ["write_github"], risk: .high, externalWrite: true),
            workspaceExtra: #","safeMode":true"#, userExtra: #","elevatedScopes":["write_github"]"#,
            triggers: [.externalWrite, .highRisk, .elevatedScope("write_github", usr), .safeMode(ws)],
            reasonParts: ["externalWrite", "risk is high", "write_github is elevated", "safe mode"]),
    ]

    @Test(arguments: triggerCases)
    func approvalTriggers(_ c: TriggerCase) throws {
        let grants = ["allow read_web", "allow write_github"]
        let engine = try Self.engine(
            workspace: Self.policy(.workspace, [], extra: c.workspaceExtra),
            user: Self.policy(.user, grants, extra: c.userExtra))
        let decision = engine.evaluate(c.request)
        #expect(decision.explanation.approvalTriggers == c.triggers)
        if c.triggers.isEmpty {
            #expect(decision == .allow(decision.explanation))
            #expect(decision.explanation.description.contains("approval: not needed"))
        } else {
            guard case .needsApproval(let reason, let explanation) = decision else {
                Issue.record("expected needsApproval, got \(decision)")
                return
            }
            for part in c.reasonParts { #expect(reason.contains(part), "\(reason)") }
            #expect(explanation.description.contains("approval needed: "))
            #expect(decision.errorCode == "APPROVAL_REQUIRED")
        }
    }

    @Test func denyComesBeforeApprovalButTriggersAreStillExplained() throws {
        let engine = try Self.engine(user: Self.policy(.user, ["deny send_email"], extra: #","safeMode":true"#))
        let decision = engine.evaluate(Self.request("mail.send", scopes: ["send_email"], externalWrite: true))
        guard case .deny(let reason, let explanation) = decision else { Issue.record("expected deny"); return }
        #expect(reason.contains("send_email is denied by user policy"))
        #expect(explanation.approvalTriggers == [.externalWrite, .safeMode(Self.usr)])
    }

    // MARK: Approvals

    static let now = PolicyTimestamp(secondsSinceEpoch: 1_700_000_000)

    struct ApprovalCase: CustomTestStringConvertible, Sendable {
        var name: String
        var tool = "github.issues.create"
        var version = "1.2.0"
        var input: JSONValue = ["repo": "a/b", "title": "Bug"]
        var grantedAt = PolicyEngineTests.now.adding(seconds: -60)
        var expiresAt: PolicyTimestamp? = PolicyEngineTests.now.adding(seconds: 60)
        var allowed: Bool
        var stale = 0
        var testDescription: String { name }
    }

    static let approvalCases: [ApprovalCase] = [
        ApprovalCase(name: "exact tool, version and input → allow", allowed: true),
        ApprovalCase(name: "approval without expiry → allow", expiresAt: nil, allowed: true),
        ApprovalCase(
            name: "same input with keys reordered is the same canonical input → allow",
            input: ["title": "Bug", "repo": "a/b"], allowed: true),
        ApprovalCase(
            name: "other input value → still needs approval", input: ["repo": "a/b", "title": "Bug!"], allowed: false),
        ApprovalCase(
            name: "extra input member → still needs approval", input: ["repo": "a/b", "title": "Bug", "x": nil],
            allowed: false),
        ApprovalCase(name: "other version → still needs approval", version: "1.2.1", allowed: false),
        ApprovalCase(name: "other tool → still needs approval", tool: "github.issues.close", allowed: false),
        ApprovalCase(
            name: "expired approval → needs approval", expiresAt: now.adding(seconds: -1), allowed: false, stale: 1),
        ApprovalCase(name: "expiring exactly now → needs approval", expiresAt: now, allowed: false, stale: 1),
        ApprovalCase(
            name: "granted in the future → needs approval", grantedAt: now.adding(seconds: 5), allowed: false, stale: 1),
    ]

    @Test(arguments: approvalCases)
    func approvalsMatchExactly(_ c: ApprovalCase) throws {
        let engine = try Self.engine(user: Self.policy(.user, ["allow write_github"]))
        let request = Self.request(
            "github.issues.create", scopes: ["write_github"], externalWrite: true, version: "1.2.0",
            input: ["repo": "a/b", "title": "Bug"])
        let approved = Self.request(
            c.tool, scopes: ["write_github"], externalWrite: true, version: c.version, input: c.input)
        let approval = Approval(
            key: approved.approvalKey, grantedAt: c.grantedAt, expiresAt: c.expiresAt, approvedBy: "alice")

        let store = InMemoryApprovalStore([approval])
        for decision in [
            engine.evaluate(request, approvals: [approval], now: Self.now),
            try engine.evaluate(request, approvals: store, now: Self.now),
        ] {
            #expect(decision.isAllowed == c.allowed, "\(decision)")
            if c.allowed {
                #expect(decision.explanation.approval == approval)
                #expect(decision.explanation.approvalTriggers == [.externalWrite])
                #expect(decision.explanation.description.contains("approval used: approved by alice"))
            } else {
                guard case .needsApproval = decision else { Issue.record("expected needsApproval"); continue }
                #expect(decision.explanation.approval == nil)
            }
            #expect(decision.explanation.staleApprovals.count == c.stale)
        }
    }

    @Test func approvalNeverTurnsADenyIntoAllow() throws {
        let engine = try Self.engine(
            workspace: Self.policy(.workspace, ["deny write_github"]), user: Self.policy(.user, ["allow write_github"]))
        let request = Self.request("github.issues.create", scopes: ["write_github"], externalWrite: true)
        let approval = engine.approval(for: request, approvedBy: "root", at: Self.now, ttlSeconds: 10_000)
        let decision = engine.evaluate(request, approvals: [approval], now: Self.now)
        guard case .deny(let reason, let explanation) = decision else { Issue.record("expected deny"); return }
        #expect(reason.contains("denied by workspace policy"))
        #expect(explanation.approval == nil)
        // And with nothing elevated at all (no approval needed), a not-granted scope still denies.
        let bare = try Self.engine()
        #expect(!bare.evaluate(request, approvals: [approval], now: Self.now).isAllowed)
    }

    @Test func canonicalInputDigestIgnoresKeyOrderAndWhitespaceButNotValues() throws {
        let parser = JSONParser()
        let a = try parser.parse(#"{"b":[1,2,{"y":true,"x":null}],"a":"é","n":1.0}"#)
        let b = try parser.parse(
            "{ \"n\" : 1,\n \"a\" : \"\\u00e9\", \"b\" : [ 1 , 2 , { \"x\" : null , \"y\" : true } ] }")
        let c = try parser.parse(#"{"b":[2,1,{"y":true,"x":null}],"a":"é","n":1}"#)
        #expect(Approval.digest(of: a) == Approval.digest(of: b))
        #expect(Approval.digest(of: a) != Approval.digest(of: c))
        #expect(Approval.digest(of: a).count == 64)
        // Known answer: SHA-256 of the two bytes `{}`.
        #expect(Approval.digest(of: [:]) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        let upper = ApprovalKey(toolID: "t", toolVersion: "1", inputDigest: Approval.digest(of: a).uppercased())
        #expect(upper.inputDigest == Approval.digest(of: a))
    }

    @Test func approvalDefaultsToTheStrictestTTL() throws {
        let engine = try Self.engine(
            workspace: Self.policy(.workspace, [], extra: #","approvalTTLSeconds":600"#),
            user: Self.policy(.user, ["allow write_github"], extra: #","approvalTTLSeconds":86400"#))
        #expect(engine.approvalTTLSeconds == 600)
        #expect(try Self.engine().approvalTTLSeconds == PolicyEngine.defaultApprovalTTLSeconds)
        let request = Self.request("github.issues.create", scopes: ["write_github"], externalWrite: true)
        let approval = engine.approval(for: request, approvedBy: "alice", at: Self.now)
        #expect(approval.expiresAt == Self.now.adding(seconds: 600))
        #expect(engine.evaluate(request, approvals: [approval], now: Self.now.adding(seconds: 599)).isAllowed)
        #expect(!engine.evaluate(request, approvals: [approval], now: Self.now.adding(seconds: 600)).isAllowed)
    }

    @Test func inMemoryStoreRecordsRevokesAndExpires() throws {
        let store = InMemoryApprovalStore()
        let key = Self.request().approvalKey
        store.record(Approval(key: key, grantedAt: Self.now, expiresAt: Self.now.adding(seconds: 10), approvedBy: "a"))
        store.record(Approval(key: key, grantedAt: Self.now, expiresAt: nil, approvedBy: "b"))
        #expect(store.approvals(for: key).count == 2)
        #expect(store.removeExpired(at: Self.now.adding(seconds: 10)) == 1)
        #expect(store.approvals(for: key).map(\.approvedBy) == ["b"])
        #expect(store.revoke(key) == 1)
        #expect(store.all.isEmpty)
    }

    struct FailingStore: ApprovalStore {
        struct Broken: Error {}
        func approvals(for key: ApprovalKey) throws -> [Approval] { throw Broken() }
        func record(_ approval: Approval) throws { throw Broken() }
        func revoke(_ key: ApprovalKey) throws -> Int { throw Broken() }
        func removeExpired(at now: PolicyTimestamp) throws -> Int { throw Broken() }
    }

    @Test func storeFailureIsAnErrorAndOnlyConsultedWhenNeeded() throws {
        let engine = try Self.engine(user: Self.policy(.user, ["allow read_web"]))
        #expect(try engine.evaluate(Self.request(), approvals: FailingStore(), now: Self.now).isAllowed)
        #expect(throws: PolicyError.self) {
            try engine.evaluate(Self.request(risk: .high), approvals: FailingStore(), now: Self.now)
        }
    }

    // MARK: Merged settings

    @Test func mergedSettings() throws {
        let engine = try Self.engine(
            workspace: Self.policy(.workspace, [], extra: #","allowUnsignedPackages":true"#),
            project: Self.policy(.project, [], extra: #","elevatedScopes":["send_email"]"#),
            user: Self.policy(
                .user, [], extra: #","allowUnsignedPackages":false,"elevatedScopes":["write_github","send_email"]"#))
        #expect(engine.allowUnsignedPackages)
        #expect(engine.allowUnsignedPackagesSource?.level == .workspace)
        #expect(engine.elevatedScopes == ["send_email", "write_github"])
        #expect(engine.elevation(of: "send_email")?.level == .project)
        #expect(!engine.safeMode)
        #expect(try !Self.engine().allowUnsignedPackages)
    }

    // MARK: Malformed policy files

    struct MalformedCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var jsonPath: String?
        var message: String
        var testDescription: String { name }
    }

    static let malformedCases: [MalformedCase] = [
        MalformedCase(
            name: "unknown top-level field", text: #"{"policyVersion":1,"grantz":[]}"#, jsonPath: "grantz",
            message: #"unknown field "grantz"; expected one of "policyVersion""#),
        MalformedCase(
            name: "unknown grant field",
            text: #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"allow","tool":["x"]}]}"#,
            jsonPath: "grants[0].tool", message: #"unknown field "tool""#),
        MalformedCase(
            name: "bad effect", text: #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"maybe"}]}"#,
            jsonPath: "grants[0].effect", message: #"expected "allow" or "deny", found string "maybe""#),
        MalformedCase(
            name: "wrong type for safeMode", text: #"{"policyVersion":1,"safeMode":"yes"}"#, jsonPath: "safeMode",
            message: #"expected true or false, found string "yes""#),
        MalformedCase(
            name: "wrong type for grants", text: #"{"policyVersion":1,"grants":{}}"#, jsonPath: "grants",
            message: "expected an array of grant objects, found object"),
        MalformedCase(
            name: "grant is not an object", text: #"{"policyVersion":1,"grants":["read_web"]}"#, jsonPath: "grants[0]",
            message: "expected a grant object"),
        MalformedCase(
            name: "missing effect", text: #"{"policyVersion":1,"grants":[{"scope":"read_web"}]}"#,
            jsonPath: "grants[0]",
            message: #"missing field "effect"; expected "allow" or "deny""#),
        MalformedCase(
            name: "wrong type for tools",
            text: #"{"policyVersion":1,"grants":[{"scope":"a","effect":"allow","tools":"web.*"}]}"#,
            jsonPath: "grants[0].tools", message: "expected a non-empty array of tool globs"),
        MalformedCase(
            name: "empty tools", text: #"{"policyVersion":1,"grants":[{"scope":"a","effect":"allow","tools":[]}]}"#,
            jsonPath: "grants[0].tools", message: "found an empty array"),
        MalformedCase(
            name: "missing version", text: #"{"grants":[]}"#, jsonPath: "(root)",
            message: #"missing field "policyVersion""#),
        MalformedCase(
            name: "unsupported version", text: #"{"policyVersion":2}"#, jsonPath: "policyVersion",
            message: "expected 1 (the only supported version), found 2"),
        MalformedCase(
            name: "ttl out of range", text: #"{"policyVersion":1,"approvalTTLSeconds":0}"#,
            jsonPath: "approvalTTLSeconds",
            message: "expected an integer number of seconds from 1 to"),
        MalformedCase(
            name: "ttl not an integer", text: #"{"policyVersion":1,"approvalTTLSeconds":1.5}"#,
            jsonPath: "approvalTTLSeconds",
            message: "found number 1.5"),
        MalformedCase(
            name: "bad elevated scope", text: #"{"policyVersion":1,"elevatedScopes":["Write GitHub"]}"#,
            jsonPath: "elevatedScopes[0]", message: "expected a scope name"),
        MalformedCase(
            name: "not an object", text: "[]", jsonPath: "(root)", message: "expected a policy object, found array"),
        MalformedCase(name: "not JSON", text: "{\"policyVersion\":1,}", jsonPath: nil, message: "not valid JSON"),
    ]

    @Test(arguments: malformedCases)
    func malformedPolicyFilesAreRejected(_ c: MalformedCase) {
        do {
            _ = try PolicyFile(parsing: c.text, path: "/p/bad.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.code.rawValue == "POLICY_INVALID")
            #expect(error.path == "/p/bad.json")
            #expect(error.jsonPath?.dotted == c.jsonPath)
            #expect(error.message.contains(c.message), "\(error.message)")
            #expect(error.description.hasPrefix("POLICY_INVALID: /p/bad.json: "))
            if let jsonPath = c.jsonPath { #expect(error.description.contains("\(jsonPath): "), "\(error)") }
            if c.jsonPath == nil { #expect(error.line == 1 && error.column != nil) }
        }
    }

    // MARK: Hostile policies and globs

    struct GlobCase: CustomTestStringConvertible, Sendable {
        var glob: String
        var matches: [String]
        var rejects: [String]
        var testDescription: String { glob }
    }

    static let globCases: [GlobCase] = [
        GlobCase(
            glob: "web.fetch", matches: ["web.fetch"],
            rejects: ["web.fetchx", "web.fetch.x", "xweb.fetch", "web", "Web.fetch"]),
        GlobCase(
            glob: "web.*", matches: ["web.fetch", "web.x"], rejects: ["web", "web.a.b", "webx.fetch", "web.", "web.A"]),
        GlobCase(glob: "*", matches: ["web", "mail"], rejects: ["web.fetch", ""]),
        GlobCase(glob: "**", matches: ["web", "web.fetch", "a.b.c.d"], rejects: [""]),
        GlobCase(
            glob: "github.**", matches: ["github.x", "github.issues.create"],
            rejects: ["github", "githubx.a", "x.github.y"]),
        GlobCase(glob: "*.fetch", matches: ["web.fetch", "x.fetch"], rejects: ["fetch", "a.b.fetch"]),
        GlobCase(glob: "web.f*h", matches: ["web.fetch", "web.fh"], rejects: ["web.fetc", "web.f.h"]),
        GlobCase(glob: "a.**.z", matches: ["a.b.z", "a.b.c.z"], rejects: ["a.z", "a.b.c"]),
    ]

    @Test(arguments: globCases)
    func globsMeanExactlyWhatTheySay(_ c: GlobCase) throws {
        let glob = try PolicyToolGlob.parse(c.glob).get()
        for id in c.matches { #expect(glob.matches(id), "\(c.glob) should match \(id)") }
        for id in c.rejects { #expect(!glob.matches(id), "\(c.glob) should not match \(id)") }
    }

    static let hostileGlobs: [String] = [
        "web.(fetch|mail)", "web.[a-z]+", "web.fetch$", "^web", "web.?", "web\\.fetch", "../web.fetch", "/etc/passwd",
        "web/fetch", "web..fetch", ".web", "web.", "web.fetch ", "WEB.*", "web.f**", "***", "web.{a,b}", "",
        String(repeating: "a.", count: 200) + "a", "web.fetch\u{0}", "wéb.*",
    ]

    @Test(arguments: hostileGlobs)
    func hostileGlobsAreRejectedWithThePath(_ glob: String) {
        let text =
            #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"allow","tools":["web.fetch",\#(JSONValue.string(glob).jsonText)]}]}"#
        do {
            _ = try PolicyFile(parsing: text, path: "/p/hostile.json")
            Issue.record("\(glob) should be rejected")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.jsonPath?.dotted == "grants[0].tools[1]")
            #expect(error.message.hasPrefix("expected "), "\(error.message)")
        }
    }

    @Test(arguments: [
        "*", "**", "read_*", "", "READ_WEB", "read-web", "read_web ", "9scope", String(repeating: "a", count: 65),
    ])
    func wildcardOrMalformedScopesAreRejected(_ scope: String) {
        let text = #"{"policyVersion":1,"grants":[{"scope":\#(JSONValue.string(scope).jsonText),"effect":"allow"}]}"#
        let error = #expect(throws: PolicyError.self) { try PolicyFile(parsing: text, path: "/p/hostile.json") }
        #expect(error?.jsonPath?.dotted == "grants[0].scope")
        #expect(error?.message.contains("no wildcards") == true)
    }

    @Test func hostileButValidPoliciesGrantNothingExtra() throws {
        // `**` covers every tool but only the one scope named; a literal scope never covers others.
        let engine = try Self.engine(
            project: Self.policy(.project, ["deny write_files evil.*"]),
            user: Self.policy(.user, ["allow read_web **", "allow write_files"]))
        #expect(engine.evaluate(Self.request("any.tool.at.all", scopes: ["read_web"])).isAllowed)
        #expect(!engine.evaluate(Self.request("any.tool", scopes: ["read_files"])).isAllowed)
        #expect(!engine.evaluate(Self.request("any.tool", scopes: ["*"])).isAllowed)
        #expect(!engine.evaluate(Self.request("evil.x", scopes: ["write_files"])).isAllowed)
        // Ids that could dodge a glob by case, separators or length are refused outright.
        for id in ["Evil.x", "evil..x", "evil.x/../y", "evil.x ", "", String(repeating: "e", count: 300), "évil.x"] {
            let decision = engine.evaluate(Self.request(id, scopes: ["write_files"]))
            guard case .deny(let reason, let explanation) = decision else { Issue.record("\(id) allowed"); continue }
            #expect(reason.contains("is not a dotted lowercase name"))
            #expect(explanation.toolIDProblem != nil)
        }
    }

    @Test func pathologicalGlobsMatchQuickly() throws {
        let glob = try PolicyToolGlob.parse(String(repeating: "a*", count: 120) + "b").get()
        let stars = try PolicyToolGlob.parse(Array(repeating: "**", count: 80).joined(separator: ".") + ".b").get()
        let id = String(repeating: "a", count: 250)
        let dotted = Array(repeating: "a", count: 120).joined(separator: ".")
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!glob.matches(id))
            #expect(!stars.matches(dotted))
            #expect(!glob.matches(String(repeating: "a", count: 10_000)))
        }
        #expect(elapsed < .seconds(2))
    }

    // MARK: Loading files

    @Test func loaderReadsLevelsAndToleratesMissingFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let user = dir.appendingPathComponent("user.json").path
        try Self.policy(.user, ["allow read_web"]).write(toFile: user, atomically: true, encoding: .utf8)

        let engine = try PolicyLoader().load(
            workspace: dir.appendingPathComponent("missing.json").path, project: nil, user: user)
        #expect(engine.workspace == nil && engine.project == nil)
        let decision = engine.evaluate(Self.request())
        #expect(decision.isAllowed)
        #expect(decision.explanation.scopes[0].decidedBy?.path == user)
        #expect(decision.explanation.scopes[0].decidedBy?.level == .user)

        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"allow","why":"x"}]}"#.write(
            toFile: bad, atomically: true, encoding: .utf8)
        do {
            _ = try PolicyLoader().load(workspace: nil, project: bad, user: user)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.description.contains(bad))
            #expect(error.description.contains("grants[0].why: unknown field"))
        }

        do {
            _ = try PolicyLoader().load(workspace: dir.path, project: nil, user: nil)
            Issue.record("a directory is not a policy file")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.path == dir.path)
        }

        let binary = dir.appendingPathComponent("binary.json").path
        try Data([0x7B, 0xFF, 0x7D]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: PolicyError.self) { try PolicyLoader().loadFile(at: binary) }
    }

    @Test func templatesDecodeAndBehaveAsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let defaultPath = root.appendingPathComponent("Policies/default.json").path
        let safePath = root.appendingPathComponent("Policies/safe-mode.json").path
        let loader = PolicyLoader()
        let userOnly = try loader.load(workspace: nil, project: nil, user: defaultPath)
        #expect(userOnly.user != nil)
        #expect(userOnly.evaluate(Self.request("files.read", scopes: ["read_files"])).isAllowed)
        #expect(userOnly.evaluate(Self.request(scopes: ["read_web"])).isAllowed)
        let write = userOnly.evaluate(Self.request("github.issues.create", scopes: ["write_github"]))
        guard case .needsApproval = write else { Issue.record("write_github should need approval: \(write)"); return }
        #expect(!userOnly.allowUnsignedPackages)

        let safe = try loader.load(workspace: safePath, project: nil, user: defaultPath)
        #expect(safe.safeMode)
        guard case .needsApproval(let reason, _) = safe.evaluate(Self.request(scopes: ["read_web"])) else {
            Issue.record("safe mode should require approval")
            return
        }
        #expect(reason.contains("safe mode is on in the workspace policy"))
    }
}
