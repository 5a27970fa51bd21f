import Foundation
import JSON
import Testing
import ToolPackage

@testable import Registry

/// An index line is decoded strictly where it matters (known fields, limits) and leniently where DESIGN
/// lets publishers extend it (unknown fields); each refusal names the field's path and what was expected.
@Suite struct RegistryEntryDecodingTests {
    func decode(_ text: String) throws(IndexLineError) -> RegistryEntry {
        var bytes = Array(text.utf8)
        let result = bytes.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(IndexLineError) -> RegistryEntry in
                try RegistryEntry.decode(bytes: UnsafeBufferPointer(buffer))
            }
        }
        return try result.get()
    }

    func failure(_ text: String) -> IndexLineError? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error
        }
    }

    static let full: JSONValue = [
        "id": "weather.forecast", "version": "1.0.0", "title": "Weather forecast",
        "description": "Daily forecast for a city", "keywords": ["weather", "forecast"],
        "input": ["type": "object"], "output": true,
        "env": [["name": "WEATHER_KEY", "description": "API key", "required": true, "secret": true]],
        "scopes": ["read_web"], "risk": ["level": "low", "externalWrite": false, "readOnly": true],
        "binding": "sandbox_job",
        "package": [
            "source": "https://example.org/weather-1.0.0.tar.gz",
            "digest": .string("sha256:" + String(repeating: "ab", count: 32)),
        ],
    ]

    @Test func aFullLineDecodesEveryFieldAndItsJSONGivesItBack() throws {
        let entry = try decode(Self.full.jsonText)
        #expect(entry.id == "weather.forecast")
        #expect(entry.version == SemanticVersion(1, 0, 0))
        #expect(entry.title == "Weather forecast")
        #expect(entry.keywords == ["weather", "forecast"])
        #expect(entry.input == ["type": "object"])
        #expect(entry.output == true)
        #expect(entry.env == [.init(name: "WEATHER_KEY", description: "API key", required: true, secret: true)])
        #expect(entry.requiredEnvNames == ["WEATHER_KEY"])
        #expect(entry.scopes == ["read_web"])
        #expect(entry.risk == .init(level: .low, externalWrite: false, readOnly: true))
        #expect(entry.binding == "sandbox_job")
        #expect(entry.package?.digest.hasPrefix("sha256:abab") == true)
        #expect(entry.yanked == nil)
        #expect(entry.origin == .index)
        #expect(entry.json == Self.full)
        #expect(
            try RegistryEntry.decode(line: entry.json, origin: .installed)
                == {
                    var local = entry
                    local.origin = .installed
                    return local
                }())
    }

    @Test func onlyIdVersionAndDescriptionAreRequiredAndNullCountsAsAbsent() throws {
        let entry = try decode(#"{"id":"a.b","version":"0.1.0","description":"d","title":null,"env":null}"#)
        #expect(entry.title == nil && entry.env.isEmpty && entry.keywords.isEmpty && entry.risk == nil)
        #expect(entry.json == ["id": "a.b", "version": "0.1.0", "description": "d"])
        for missing in ["id", "version", "description"] {
            var members = ["id": "a.b", "version": "0.1.0", "description": "d"] as [String: JSONValue]
            members[missing] = nil
            let error = failure(JSONValue.object(members).jsonText)
            #expect(error?.field == missing)
            #expect(error?.message.contains("required and missing") == true)
        }
    }

    @Test func unknownFieldsFromOtherPublishersAreIgnored() throws {
        let entry = try decode(
            #"{"id":"a.b","version":"1.0.0","description":"d","stars":5,"x-vendor":{"k":1},"#
                + #""env":[{"name":"K","hint":"new field"}],"risk":{"level":"high","externalWrite":true,"#
                + #""readOnly":false,"reversible":false},"package":{"source":"s","digest":"sha256:"#
                + String(repeating: "0", count: 64) + #"","size":12}}"#)
        #expect(entry.env.map(\.name) == ["K"])
        #expect(entry.risk?.level == .high)
        #expect(entry.json["stars"] == nil)
    }

    @Test func aWrongFieldNamesItsPathAndWhatWasExpected() {
        let error = failure(
            #"{"id":"a.b","version":"1.0.0","description":"d","env":[{"name":"OK"},{"name":"x-y"}]}"#)
        #expect(error?.field == "env[1].name")
        #expect(
            error?.description == #"env[1].name: expected an environment variable name ([A-Z_][A-Z0-9_]*), found "x-y""#
        )

        let cases: [(String, String)] = [
            (#"{"id":"Bad","version":"1.0.0","description":"d"}"#, "id"),
            (#"{"id":"a.b","version":"1.0","description":"d"}"#, "version"),
            (#"{"id":"a.b","version":1,"description":"d"}"#, "version"),
            (#"{"id":"a.b","version":"1.0.0","description":""}"#, "description"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","keywords":"web"}"#, "keywords"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","keywords":["ok",3]}"#, "keywords[1]"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","keywords":["a\nb"]}"#, "keywords[0]"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","input":"object"}"#, "input"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","output":[]}"#, "output"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","env":{}}"#, "env"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","env":[{"name":"A"},{"name":"A"}]}"#, "env[1].name"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","env":[{"name":"A","secret":"yes"}]}"#, "env[0].secret"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","scopes":["Read"]}"#, "scopes[0]"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","risk":{"level":"low"}}"#, "risk.externalWrite"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","risk":{"level":"severe"}}"#, "risk.level"),
            (
                #"{"id":"a.b","version":"1.0.0","description":"d","risk":{"level":"low","externalWrite":true,"readOnly":true}}"#,
                "risk.readOnly"
            ),
            (#"{"id":"a.b","version":"1.0.0","description":"d","binding":"docker"}"#, "binding"),
            (
                #"{"id":"a.b","version":"1.0.0","description":"d","package":{"source":"s","digest":"md5:00"}}"#,
                "package.digest"
            ),
            (#"{"id":"a.b","version":"1.0.0","description":"d","package":{"digest":"x"}}"#, "package.source"),
            (#"{"id":"a.b","version":"1.0.0","description":"d","yanked":1}"#, "yanked"),
            (#"[1,2]"#, ""),
            (#"{"id":"a.b","version":"1.0.0","description":"d""#, ""),
        ]
        for (line, field) in cases {
            let error = failure(line)
            #expect(error != nil, "accepted \(line)")
            #expect(error?.field == field, "\(line): \(String(describing: error))")
            #expect(error?.message.hasPrefix("expected") == true || field.isEmpty || field == "env[1].name")
        }
        #expect(
            failure(#"{"id":"a.b","version":"1.0.0","description":"d""#)?.message.hasPrefix("not valid JSON: column")
                == true)
    }

    @Test func limitsKeepTheStoreSane() {
        let long = { (n: Int) in String(repeating: "x", count: n) }
        func line(_ extra: String) -> String { #"{"id":"a.b","version":"1.0.0","description":"d","# + extra + "}" }
        #expect(failure(#"{"id":"a.b","version":"1.0.0","description":""# + long(4096) + #""}"#) == nil)
        #expect(
            failure(#"{"id":"a.b","version":"1.0.0","description":""# + long(4097) + #""}"#)?.field == "description")
        // 4096 bytes, not characters: 2,049 two-byte characters are over.
        #expect(
            failure(#"{"id":"a.b","version":"1.0.0","description":""# + String(repeating: "é", count: 2049) + #""}"#)?
                .field == "description")
        #expect(failure(line(#""title":""# + long(256) + #"""#)) == nil)
        #expect(failure(line(#""title":""# + long(257) + #"""#))?.field == "title")
        let keywords = (0..<64).map { "\"k\($0)\"" }.joined(separator: ",")
        #expect(failure(line(#""keywords":["# + keywords + "]")) == nil)
        #expect(failure(line(#""keywords":["# + keywords + #","k64"]"#))?.field == "keywords")
        #expect(failure(line(#""keywords":[""# + long(65) + #""]"#))?.field == "keywords[0]")
        let huge = line(#""x-padding":""# + long(RegistryEntry.maximumLineBytes) + #"""#)
        #expect(failure(huge)?.message.contains("over the 262144-byte limit") == true)
    }

    @Test func duplicateKeywordsAndScopesAreDroppedKeepingTheFirst() throws {
        let entry = try decode(
            #"{"id":"a.b","version":"1.0.0","description":"d","keywords":["x","y","x"],"scopes":["read_web","read_web"]}"#
        )
        #expect(entry.keywords == ["x", "y"])
        #expect(entry.scopes == ["read_web"])
    }

    @Test func yankedIsTrueFalseOrAReason() throws {
        #expect(try decode(#"{"id":"a.b","version":"1.0.0","description":"d","yanked":true}"#).yanked == "")
        #expect(try decode(#"{"id":"a.b","version":"1.0.0","description":"d","yanked":false}"#).yanked == nil)
        let reason = try decode(#"{"id":"a.b","version":"1.0.0","description":"d","yanked":"CVE-2024-1"}"#)
        #expect(reason.yanked == "CVE-2024-1")
        #expect(reason.json["yanked"] == "CVE-2024-1")
        #expect(try decode(#"{"id":"a.b","version":"1.0.0","description":"d","yanked":true}"#).json["yanked"] == true)
    }

    @Test func anEntryFromAManifestCarriesItsFields() throws {
        let manifest = try ToolManifest.decode(
            [
                "schemaVersion": 1, "id": "web.fetch", "version": "2.1.0", "title": "Fetch",
                "description": "Fetches a page", "keywords": ["web"], "input": ["type": "object"],
                "env": [["name": "TOKEN", "required": true]], "scopes": ["read_web"],
                "risk": ["level": "medium", "externalWrite": false, "readOnly": true],
                "execution": ["binding": "sandbox_job", "command": ["/bin/true"]],
            ])
        let package = RegistryEntry.PackageReference(
            source: "/packages/web.fetch", digest: "sha256:" + String(repeating: "1", count: 64))
        let entry = RegistryEntry(manifest: manifest, origin: .installed, package: package)
        #expect(entry.id == "web.fetch" && entry.version.description == "2.1.0" && entry.title == "Fetch")
        #expect(entry.requiredEnvNames == ["TOKEN"] && entry.scopes == ["read_web"] && entry.risk?.level == .medium)
        #expect(entry.binding == "sandbox_job" && entry.package == package && entry.origin == .installed)
        #expect(try RegistryEntry.decode(line: entry.json, origin: .installed) == entry)
    }

    @Test func versionKeysOrderLikeSemanticVersions() {
        let ordered = [
            "0.0.0", "0.0.1", "0.1.0", "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1",
            "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0",
            "1.9.0", "1.10.0", "2.0.0", "255.0.0", "256.0.0", "65536.0.0", "18446744073709551615.0.0",
        ].map(RegistryFixture.v)
        for (a, b) in zip(ordered, ordered.dropFirst()) {
            #expect(a < b)
            #expect(VersionKey.of(a).lexicographicallyPrecedes(VersionKey.of(b)), "\(a) < \(b)")
        }
        #expect(VersionKey.of(RegistryFixture.v("1.0.0+a")) == VersionKey.of(RegistryFixture.v("1.0.0+b")))
        // A key gives its version back (build metadata aside).
        for version in ordered + [RegistryFixture.v("1.2.3-rc.1.x-y.007z+build")] {
            let decoded = VersionKey.of(version).withUnsafeBytes {
                VersionKey.version(from: $0.bindMemory(to: UInt8.self))
            }
            #expect(decoded == version && decoded?.build == [])
        }
        #expect([UInt8]([1, 1, 0, 0, 3]).withUnsafeBufferPointer { VersionKey.version(from: $0) } == nil)
    }

    @Test func theStoredDocumentIsTheCanonicalTextOfTheEntry() throws {
        let full = try decode(Self.full.jsonText)
        var yanked = try decode(#"{"id":"a.b","version":"1.0.0-rc.1+b","description":"q\"\u0001é","yanked":true}"#)
        #expect(full.documentText == full.json.canonicalText)
        #expect(yanked.documentText == yanked.json.canonicalText)
        yanked.yanked = "reason \\ here"
        yanked.risk = .init(level: .high, externalWrite: true, readOnly: false, idempotent: false)
        yanked.env = [.init(name: "A", description: "d\n"), .init(name: "B", description: "", required: true)]
        yanked.output = ["a": [1, 2.5, "x"]]
        #expect(yanked.documentText == yanked.json.canonicalText)
    }

    @Test func theIndexIdCheckAgreesWithTheManifestRule() {
        let samples = [
            "a.b", "web.fetch_extract", "a1.b_2.c3", "a.b.c.d", "a", "", ".", "a.", ".a", "a..b", "A.b", "a.B", "1a.b",
            "a.1b", "_a.b", "a._b", "a-b.c", "a.b c", "é.b", "a.b\n", String(repeating: "a", count: 62) + ".b",
            "a." + String(repeating: "b", count: 126), "a." + String(repeating: "b", count: 127),
        ]
        for id in samples {
            #expect(RegistryEntry.isValidID(id) == ToolManifest.isValidID(id), "\(id)")
        }
    }

    @Test func referencesAreAnIdAndAnOptionalVersion() throws {
        #expect(try RegistryReference.parse("weather.forecast") == RegistryReference(id: "weather.forecast"))
        let pinned = try RegistryReference.parse("weather.forecast@1.2.0-rc.1")
        #expect(pinned.version == SemanticVersion("1.2.0-rc.1"))
        #expect(pinned.description == "weather.forecast@1.2.0-rc.1")
        for (text, fragment) in [
            ("", "empty id"), ("Weather", "not a tool id"), ("a.b@", "not a semantic version"),
            ("a.b@1.2", "expected MAJOR.MINOR.PATCH"), ("a.b@1.2.3@4", "not a semantic version"),
            ("@1.0.0", "empty id"),
        ] {
            do {
                _ = try RegistryReference.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == .invalidReference)
                #expect(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }
}
