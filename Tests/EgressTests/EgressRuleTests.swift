import Testing

@testable import Egress

/// The hosts a manifest may name and what each one covers.
struct EgressRuleTests {
    @Test func aRuleCoversItsHostAndPortOnly() throws {
        let exact = try EgressRule(parsing: "API.Example.com")
        #expect(exact.host == "api.example.com" && !exact.wildcard && exact.port == 443)
        #expect(exact.allows(host: "api.example.com", port: 443))
        #expect(exact.allows(host: "API.EXAMPLE.COM.", port: 443))
        #expect(!exact.allows(host: "api.example.com", port: 80))
        #expect(!exact.allows(host: "x.api.example.com", port: 443))
        #expect(!exact.allows(host: "api.example.com.evil.net", port: 443))
        #expect(!exact.allows(host: "evilapi.example.com", port: 443))

        let wide = try EgressRule(parsing: "*.example.org:8443")
        #expect(wide.wildcard && wide.host == "example.org" && wide.port == 8443)
        #expect(wide.allows(host: "a.example.org", port: 8443) && wide.allows(host: "a.b.example.org", port: 8443))
        #expect(!wide.allows(host: "example.org", port: 8443))
        #expect(!wide.allows(host: "badexample.org", port: 8443))
        #expect(!wide.allows(host: "a.example.org", port: 443))
        #expect(wide.description == "*.example.org:8443" && exact.description == "api.example.com")
    }

    @Test func anyHostCoversEveryNameOnItsPortAndNoAddress() throws {
        let any = try EgressRule(parsing: "*")
        #expect(any.isAnyHost && any.port == 443 && any.description == "*")
        #expect(any.allows(host: "example.com", port: 443) && any.allows(host: "a.b.c.example", port: 443))
        #expect(!any.allows(host: "example.com", port: 80))
        for host in ["127.0.0.1", "[::1]", "2130706433", "0x7f.1", "", "a..b", "a.example.com@evil.net"] {
            #expect(!any.allows(host: host, port: 443), "\(host)")
        }
        let plain = try EgressRule(parsing: "*:80")
        #expect(plain.isAnyHost && plain.port == 80 && plain.description == "*:80")
        #expect(!(try EgressRule(parsing: "*.example.org")).isAnyHost)
    }

    @Test func addressesAndTricksAreNoRequestedHost() throws {
        let rule = try EgressRule(parsing: "*.example.com")
        for host in [
            "127.0.0.1", "[::1]", "::1", "2130706433", "0x7f.1", "a.example.com:443", "a.example.com/x",
            "a..example.com", "-a.example.com", "a_b.example.com", "a.example.com\0", "ä.example.com", "",
            "a.example.com%00", "a.example.com@evil.net",
        ] {
            #expect(!rule.allows(host: host, port: 443), "\(host)")
        }
    }

    @Test func malformedRulesSayWhatWasExpected() {
        for (text, expected) in [
            ("", "1–260"), ("api.example.com:0", "port"), ("api.example.com:65536", "port"),
            ("api.example.com:", "port"), ("api.example.com:+1", "port"), ("api.example.com:0x50", "port"),
            ("10.0.0.1", "not an IP address"), ("[::1]:443", "not an IP address"), ("::1", "host name"),
            ("*:", "port"), ("**", "host name"), ("*.com", "two labels"), ("a.*.example.com", "host name"),
            ("*example.com", "host name"),
            ("**.example.com", "host name"), ("2130706433", "not a number"), ("api.123", "not a number"),
            ("bad_name.example.com", "host name"), ("-a.example.com", "host name"),
            (String(repeating: "a", count: 64) + ".com", "host name"),
            (String(repeating: "a.", count: 130) + "com", "1–260"), ("münchen.de", "xn--"),
        ] {
            do {
                let rule = try EgressRule(parsing: text)
                Issue.record("\(text.prefix(40)) parsed as \(rule)")
            } catch {
                #expect(error.message.contains(expected), "\(text.prefix(40)): \(error.message)")
            }
        }
        #expect((try? EgressRule(parsing: "xn--mnchen-3ya.de"))?.host == "xn--mnchen-3ya.de")
        #expect((try? EgressRule(parsing: "localhost:8080"))?.port == 8080)
    }
}
