import Testing

@testable import JSON

/// The strict parser every untrusted document goes through, and the canonical form digests use.
@Suite struct JSONParserTests {
    let parser = JSONParser()

    @Test func parsesEveryKindOfValue() throws {
        let value = try parser.parse(#"{"a":[1,-2.5,1e3,true,false,null,"x\u00e9\n"],"b":{}}"#)
        #expect(value == ["a": [1, -2.5, 1000.0, true, false, nil, "xé\n"], "b": [:]])
        #expect(value["a"]?.arrayValue?[0] == .integer(1))
        #expect(value["a"]?.arrayValue?[2] == .number(1000))
    }

    @Test func numbersKeepIntegerness() throws {
        #expect(try parser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try parser.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(try parser.parse("1.0").typeName == "integer")
        #expect(try parser.parse("1.5").typeName == "number")
        #expect(JSONValue.integer(1) == JSONValue.number(1.0))
    }

    @Test(arguments: [
        ("", "expected a value"), ("{", "expected a string key"), ("[1,]", "expected a value"),
        (#"{"a":1,}"#, "expected a string key"), ("01", "leading zeros"), ("1.", "after '.'"),
        (#""\x""#, "invalid escape"), (#""\ud800""#, "unpaired surrogate"), ("tru", "unexpected end"),
        ("[1] 2", "after the document"), (#"{"a":1,"a":2}"#, "duplicate key \"a\""),
        ("\"a\u{1}\"", "control character"),
        ("1e999", "out of range"), ("// c\n1", "unexpected character"),
    ])
    func malformedDocumentsAreRefusedWithAPosition(_ text: String, _ message: String) {
        do {
            _ = try parser.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.message.contains(message), "\(error)")
            #expect(error.line >= 1 && error.column >= 1)
        }
    }

    @Test func errorsPointAtTheLineAndColumn() {
        do {
            _ = try parser.parse("{\n  \"a\": 1\n  \"b\": 2\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 3)
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Error.self) { try parser.parse(deep) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONParser.Error.self) { try parser.parse(bytes: [0x22, 0xFF, 0x22]) }
    }

    @Test func canonicalFormSortsKeysAndNormalizesNumbers() throws {
        let value = try parser.parse(#"{"b": 1.0, "a": [1e2, 0.5, -0, "\u0007é"], "é": null, "Z": 1e21}"#)
        #expect(value.canonicalText == #"{"Z":1e+21,"a":[100,0.5,0,"\u0007é"],"b":1,"é":null}"#)
    }

    @Test func pointersEscapeAndResolve() throws {
        let doc: JSONValue = ["a/b": ["c~d": [10, 20]]]
        let pointer = JSONPointer().appending("a/b").appending("c~d").appending(1)
        #expect(pointer.description == "/a~1b/c~0d/1")
        #expect(JSONPointer(parsing: "/a~1b/c~0d/1") == pointer)
        #expect(pointer.resolve(in: doc) == 20)
        #expect(JSONPointer(parsing: "a") == nil)
        #expect(JSONPointer(tokens: ["execution", "command", "0"]).dotted == "execution.command[0]")
    }
}

@Suite struct JSONValueEqualityTests {
    @Test func stringsCompareByCodePointsNotCanonicalEquivalence() {
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
        #expect(JSONValue.string("\u{E9}") == JSONValue.string("\u{E9}"))
        #expect(Set<JSONValue>([.string("\u{E9}"), .string("e\u{301}")]).count == 2)
    }
}
