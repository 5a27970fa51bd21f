import Egress
import JSON
import Testing

@testable import Policy

/// The hosts a policy opens to tools that declare `*` (DESIGN §11, decision 63): only allow grants
/// name them, only for a scope the policy allows the tool, and a malformed host is refused by name.
@Suite struct PolicyHostsTests {
    static func file(_ grants: String, path: String = "/ws/policy.json") throws -> PolicyFile {
        try PolicyFile(parsing: #"{"policyVersion":1,"grants":[\#(grants)]}"#, path: path)
    }

    @Test func allowGrantsOpenTheirHostsToTheToolsTheyCover() throws {
        let workspace = try Self.file(
            #"{"scope":"read_web","effect":"allow","tools":["web.fetch_extract"],"hosts":["docs.example.org:80","*.example.net"]},"#
                + #"{"scope":"read_web","effect":"allow","tools":["web.*"],"hosts":["docs.example.org:80","*"]}"#)
        let engine = PolicyEngine(workspace: workspace)
        let hosts = engine.grantedHosts(toolID: "web.fetch_extract", scopes: ["read_web"]).map(\.description)
        #expect(hosts == ["docs.example.org:80", "*.example.net", "*"])
        #expect(
            engine.grantedHosts(toolID: "web.other", scopes: ["read_web"]).map(\.description) == [
                "docs.example.org:80", "*",
            ])
        // Another scope, or a tool no grant covers, gets nothing.
        #expect(engine.grantedHosts(toolID: "web.fetch_extract", scopes: ["send_webhook"]).isEmpty)
        #expect(engine.grantedHosts(toolID: "notify.send", scopes: ["read_web"]).isEmpty)
    }

    @Test func aDecidingDenyClosesTheHostsOfWiderAllows() throws {
        let user = try Self.file(
            #"{"scope":"read_web","effect":"allow","hosts":["docs.example.org"]}"#, path: "/home/u/policy.json")
        let workspace = try Self.file(#"{"scope":"read_web","effect":"deny","tools":["web.*"]}"#)
        let engine = PolicyEngine(workspace: workspace, user: user)
        #expect(engine.grantedHosts(toolID: "web.fetch_extract", scopes: ["read_web"]).isEmpty)
        #expect(
            engine.grantedHosts(toolID: "text.fetch", scopes: ["read_web"]).map(\.description) == ["docs.example.org"])
    }

    @Test func theNarrowestLevelSpeakingAboutTheScopeDecidesTheHosts() throws {
        // The user opened every host to read_web; the workspace, narrower, names one for web.*.
        let user = try Self.file(#"{"scope":"read_web","effect":"allow","hosts":["*"]}"#, path: "/home/u/policy.json")
        let workspace = try Self.file(
            #"{"scope":"read_web","effect":"allow","tools":["web.*"],"hosts":["docs.python.org"]}"#)
        let engine = PolicyEngine(workspace: workspace, user: user)
        #expect(
            engine.grantedHosts(toolID: "web.fetch_extract", scopes: ["read_web"]).map(\.description) == [
                "docs.python.org"
            ])
        // A tool the workspace does not speak about keeps the user's hosts.
        #expect(engine.grantedHosts(toolID: "notes.fetch", scopes: ["read_web"]).map(\.description) == ["*"])
        // A narrower allow without hosts closes the wider level's hosts for the tools it covers.
        let silent = try Self.file(#"{"scope":"read_web","effect":"allow","tools":["web.*"]}"#)
        #expect(PolicyEngine(workspace: silent, user: user).grantedHosts(toolID: "web.x", scopes: ["read_web"]).isEmpty)
    }

    @Test(arguments: [
        (#""hosts":["10.0.0.1"]"#, "grants[0].hosts[0]", "not an IP address"),
        (#""hosts":["a.example.org","*.com"]"#, "grants[0].hosts[1]", "two labels"),
        (#""hosts":["a.example.org:0"]"#, "grants[0].hosts[0]", "port"),
        (#""hosts":[]"#, "grants[0].hosts", "non-empty"),
        (#""hosts":"a.example.org""#, "grants[0].hosts", "array"),
        (#""hosts":[7]"#, "grants[0].hosts[0]", "host string"),
    ])
    func malformedHostsAreRefusedByName(_ c: (String, String, String)) {
        let text = #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"allow",\#(c.0)}]}"#
        let error = #expect(throws: PolicyError.self) { try PolicyFile(parsing: text, path: "/p/policy.json") }
        #expect(error?.jsonPath?.dotted == c.1, "\(c.0)")
        #expect(error?.message.contains(c.2) == true, "\(error?.message ?? "")")
    }

    @Test func aDenyGrantCannotNameHosts() {
        let text = #"{"policyVersion":1,"grants":[{"scope":"read_web","effect":"deny","hosts":["a.example.org"]}]}"#
        let error = #expect(throws: PolicyError.self) { try PolicyFile(parsing: text, path: "/p/policy.json") }
        #expect(error?.jsonPath?.dotted == "grants[0].hosts")
        #expect(error?.message.contains("deny") == true)
    }
}
