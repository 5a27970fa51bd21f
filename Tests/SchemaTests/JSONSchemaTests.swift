import JSON
import Testing

@testable import Schema

/// The JSON Schema validator: paths and messages, dialect choice, references, hostile schemas.
@Suite struct JSONSchemaTests {
    private func compile(_ text: String, _ configure: (inout SchemaOptions) -> Void = { _ in }) throws -> JSONSchema {
        var options = SchemaOptions()
        configure(&options)
        return try JSONSchema.compile(try JSONParser().parse(text), options: options)
    }

    private func json(_ text: String) throws -> JSONValue { try JSONParser().parse(text) }

    @Test func errorsCarryInstanceAndSchemaPaths() throws {
        let schema = try compile(#"""
            {"type": "object", "required": ["command"],
             "properties": {"command": {"type": "array", "items": {"type": "string"}},
                            "limits": {"$ref": "#/$defs/limits"}},
             "$defs": {"limits": {"type": "object", "properties": {"timeoutSeconds": {"maximum": 600}}}}}
            """#)
        let result = schema.validate(try json(#"{"command": "ls", "limits": {"timeoutSeconds": 900}}"#))
        #expect(!result.isValid)
        #expect(result.errors.map(\.description) == [
            "/command: expected an array, got a string (schema /properties/command/type)",
            "/limits/timeoutSeconds: expected at most 600 (schema /$defs/limits/properties/timeoutSeconds/maximum)",
        ])
        let nested = schema.validate(try json(#"{"command": ["ls", 3]}"#))
        #expect(nested.errors == [
            ValidationError(instancePath: JSONPointer(tokens: ["command", "1"]),
                schemaPath: JSONPointer(tokens: ["properties", "command", "items", "type"]),
                message: "expected a string, got an integer")
        ])
        let missing = schema.validate(try json("{}"))
        #expect(missing.errors.first?.message == #"missing required property "command""#)
        #expect(missing.errors.first?.instancePath == JSONPointer())
    }

    @Test func additionalPropertiesNameTheUnexpectedProperty() throws {
        let schema = try compile(#"{"properties": {"a": true}, "additionalProperties": false}"#)
        let result = schema.validate(try json(#"{"a": 1, "b": 2}"#))
        #expect(result.errors.map(\.description) == [
            #"/b: unexpected property "b" (additional properties are not allowed) (schema /additionalProperties)"#
        ])
    }

    @Test func validAndInvalidAgreeWithIsValid() throws {
        let schema = try compile(#"{"anyOf": [{"type": "string", "minLength": 2}, {"type": "integer", "multipleOf": 3}]}"#)
        for (text, expected) in [(#""ab""#, true), (#""a""#, false), ("9", true), ("10", false), ("null", false)] {
            let value = try json(text)
            #expect(schema.validate(value).isValid == expected, "\(text)")
            #expect(schema.isValid(value) == expected, "\(text)")
        }
    }

    @Test func cyclicRefsDoNotHang() throws {
        // A $ref chain that never consumes the instance: reported, not followed forever.
        let direct = try compile(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##)
        let result = direct.validate(try json("1"))
        #expect(!result.isValid)
        #expect(result.errors.contains { $0.message.contains("reference cycle") })
        let selfReference = try compile(##"{"$ref": "#"}"##)
        #expect(!selfReference.isValid(.null))
        // A recursive schema that does consume the instance stays fine.
        let tree = try compile(##"{"type": "object", "properties": {"child": {"$ref": "#"}}, "additionalProperties": false}"##)
        #expect(tree.validate(try json(#"{"child": {"child": {"child": {}}}}"#)).isValid)
        #expect(!tree.validate(try json(#"{"child": {"child": {"x": 1}}}"#)).isValid)
    }

    @Test func exponentialSchemasAreCutOffByTheStepBudget() throws {
        // anyOf of two failing branches, nested 40 deep: 2^40 evaluations without a budget.
        var defs: [String] = []
        for i in 0..<40 { defs.append(##""d\##(i)": {"anyOf": [{"$ref": "#/$defs/d\##(i + 1)"}, {"$ref": "#/$defs/d\##(i + 1)"}]}"##) }
        defs.append(#""d40": false"#)
        let schema = try compile(##"{"$defs": {\##(defs.joined(separator: ","))}, "$ref": "#/$defs/d0"}"##)
        let clock = ContinuousClock()
        var result: ValidationResult?
        let elapsed = clock.measure { result = schema.validate(1) }
        #expect(result?.isValid == false)
        #expect(result?.errors.contains { $0.message.contains("validation abandoned") } == true)
        #expect(elapsed < .seconds(30))
    }

    @Test func hostilePatternIsRefusedAtCompileTime() throws {
        // Nested unbounded quantifiers that only the backtracking engine could run are refused.
        for pattern in [#"(a+)+\\1"#, #"^(\\p{L}+)*$"#, #"(?=x)(x+x+){2,}y"#] {
            #expect(throws: SchemaError.self) { try compile(#"{"pattern": "\#(pattern)"}"#) }
        }
        do {
            _ = try compile(#"{"properties": {"a": {"pattern": "[unclosed"}}}"#)
            Issue.record("expected a SchemaError")
        } catch let error as SchemaError {
            #expect(error.code == "SCHEMA_INVALID")
            #expect(error.schemaPath == JSONPointer(tokens: ["properties", "a", "pattern"]))
        }
        #expect(throws: SchemaError.self) { try compile(#"{"patternProperties": {"(?<=a)b": true}}"#) }
        // Ordinary patterns are fine.
        #expect(try compile(#"{"pattern": "^[a-z]+(-[a-z]+)*$"}"#).isValid("kebab-case-name"))
    }

    @Test func catastrophicShapesRunInLinearTime() throws {
        // Classic ReDoS shapes are matched by the automaton, not by backtracking.
        let hostile = String(repeating: "a", count: 5000) + "!"
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for pattern in [#"^(a+)+$"#, #"^(a|a)*$"#, #"^(a*)*b"#, #"(x+x+)+y"#] {
                let schema = try compile(#"{"pattern": "\#(pattern)"}"#)
                #expect(!schema.isValid(.string(hostile)))
            }
        }
        #expect(elapsed < .seconds(10))
    }

    @Test func ecmaPatternSemantics() throws {
        let digits = try compile(#"{"pattern": "^\\d+$"}"#)
        #expect(digits.isValid("0123"))
        #expect(!digits.isValid("\u{0661}"))  // ARABIC-INDIC DIGIT ONE: \d is ASCII in ECMA-262
        #expect(!digits.isValid("12\n"))  // `$` is the end of input
        let escape = try compile(#"{"pattern": "^\\u00e9\\w$"}"#)
        #expect(escape.isValid("éa"))
        let unanchored = try compile(#"{"pattern": "es"}"#)
        #expect(unanchored.isValid("test"))
        let letters = try compile(#"{"pattern": "^\\p{Letter}+$"}"#)
        #expect(letters.isValid("héllo"))
    }

    @Test func formatIsAnnotationUnlessAsserted() throws {
        let text = #"{"type": "object", "properties": {"when": {"format": "date-time"}, "mail": {"format": "email"}, "id": {"format": "uuid"}}}"#
        let bad = try json(#"{"when": "yesterday", "mail": "nobody", "id": "x"}"#)
        let good = try json(#"{"when": "2026-11-22T08:30:00.5+01:00", "mail": "ops@example.com", "id": "3f2c8d1e-8b4a-4c6f-9e2d-1a7b5c9d0e3f"}"#)
        #expect(try compile(text).validate(bad).isValid)
        let asserting = try compile(text) { $0.assertFormats = true }
        #expect(asserting.validate(good).isValid)
        #expect(asserting.validate(bad).errors.map(\.schemaPath.description) == [
            "/properties/id/format", "/properties/mail/format", "/properties/when/format",
        ])
    }

    @Test func draft7ChosenBySchemaKeyword() throws {
        let text = #"{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "integer"}], "additionalItems": false}"#
        let schema = try compile(text)
        #expect(schema.dialect == .draft7)
        #expect(schema.isValid([1]))
        #expect(!schema.isValid([1, 2]))
        #expect(!schema.isValid(["x"]))
        // The same array-form `items` is malformed in 2020-12.
        #expect(throws: SchemaError.self) { try compile(#"{"items": [{"type": "integer"}]}"#) }
    }

    @Test func dialectOptionAppliesOnlyWithoutSchemaKeyword() throws {
        let bare = #"{"dependencies": {"a": ["b"]}}"#
        #expect(try compile(bare).isValid(["a": 1]))  // 2020-12: `dependencies` is unknown
        let draft7 = try compile(bare) { $0.defaultDialect = .draft7 }
        #expect(draft7.dialect == .draft7)
        #expect(!draft7.isValid(["a": 1]))
        let explicit = try compile(#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "dependentRequired": {"a": ["b"]}}"#) {
            $0.defaultDialect = .draft7
        }
        #expect(explicit.dialect == .draft2020_12)
        #expect(!explicit.isValid(["a": 1]))
    }

    @Test func unknownRemoteRefIsACompileErrorNamingTheURI() throws {
        do {
            _ = try compile(#"{"$ref": "https://example.com/schemas/tool.json#/$defs/x"}"#)
            Issue.record("expected a SchemaError")
        } catch let error as SchemaError {
            #expect(error.message.contains("https://example.com/schemas/tool.json"))
            #expect(error.schemaPath == JSONPointer(tokens: ["$ref"]))
        }
    }

    @Test func registeredDocumentsResolveRemoteRefs() throws {
        let registry = SchemaRegistry()
        try registry.register(try json(#"{"$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}}"#),
            uri: "https://schemas.example/net.json")
        let schema = try JSONSchema.compile(try json(#"{"properties": {"port": {"$ref": "https://schemas.example/net.json#/$defs/port"}}}"#),
            registry: registry)
        #expect(schema.isValid(["port": 8080]))
        #expect(!schema.isValid(["port": 0]))
        #expect(throws: SchemaError.self) { try registry.register(true, uri: "relative.json") }
    }

    @Test func metaschemaRefsResolveWithoutNetwork() throws {
        let schema = try compile(#"{"$ref": "https://json-schema.org/draft/2020-12/schema"}"#)
        #expect(schema.isValid(["type": "string", "minLength": 1]))
        #expect(!schema.isValid(["minLength": -1]))
    }

    @Test func hugeLimitsDoNotTrap() throws {
        #expect(try compile(#"{"maxLength": 1e300}"#).isValid("abc"))
        #expect(try compile(#"{"minLength": 9223372036854775807}"#).isValid("abc") == false)
        #expect(try compile(#"{"multipleOf": 1e308}"#).isValid(0))
        #expect(try compile(#"{"multipleOf": 0.123456789}"#).isValid(1e308) == false)
        #expect(try compile(#"{"multipleOf": 3}"#).isValid(.integer(Int64.min)) == false)
        #expect(try compile(#"{"multipleOf": 2}"#).isValid(.integer(Int64.min)))
        #expect(try compile(#"{"multipleOf": 0.01}"#).isValid(19.99))
        #expect(try compile(#"{"maximum": 9223372036854775807}"#).isValid(.integer(Int64.max)))
        #expect(try compile(#"{"maxItems": 18446744073709551616}"#).isValid([1]))
        #expect(throws: SchemaError.self) { try compile(#"{"multipleOf": 0}"#) }
        #expect(throws: SchemaError.self) { try compile(#"{"minLength": -1}"#) }
    }

    @Test func stringLengthCountsCodePoints() throws {
        let schema = try compile(#"{"maxLength": 2, "minLength": 2}"#)
        #expect(schema.isValid("💩💩"))
        #expect(!schema.isValid("💩"))
        #expect(schema.isValid("e\u{301}"))  // one grapheme, two code points
    }

    @Test func constAndEnumUseJSONEquality() throws {
        #expect(try compile(#"{"const": 1}"#).isValid(1.0))
        #expect(!(try compile(#"{"const": 1}"#).isValid(true)))
        #expect(try compile(#"{"enum": [{"a": [1, 2]}]}"#).isValid(["a": [1.0, 2]]))
        #expect(!(try compile(#"{"const": "\u00e9"}"#).isValid("e\u{301}")))  // code points, not canonical equivalence
        #expect(!(try compile(#"{"uniqueItems": true}"#).isValid([1, 1.0])))
    }

    @Test func unevaluatedPropertiesSeeThroughRefsAndConditionals() throws {
        let schema = try compile(#"""
            {"$ref": "#/$defs/base", "if": {"properties": {"kind": {"const": "csv"}}},
             "then": {"properties": {"delimiter": {"type": "string"}}},
             "unevaluatedProperties": false,
             "$defs": {"base": {"properties": {"kind": {"enum": ["csv", "json"]}}}}}
            """#)
        #expect(schema.isValid(["kind": "csv", "delimiter": ";"]))
        #expect(!schema.isValid(["kind": "json", "delimiter": ";"]))
        let result = schema.validate(["kind": "csv", "extra": 1])
        #expect(result.errors.map(\.instancePath.description) == ["/extra"])
    }

    @Test func dynamicRefFollowsTheDynamicScope() throws {
        let registry = SchemaRegistry()
        try registry.register(try json(#"""
            {"$id": "https://schemas.example/list", "$dynamicAnchor": "item-schema-anchor", "$defs": {"item": {"$dynamicAnchor": "item", "not": true}},
             "type": "array", "items": {"$dynamicRef": "#item"}}
            """#), uri: "https://schemas.example/list")
        let strings = try JSONSchema.compile(try json(#"""
            {"$id": "https://schemas.example/strings", "$ref": "list", "$defs": {"s": {"$dynamicAnchor": "item", "type": "string"}}}
            """#), registry: registry)
        #expect(strings.isValid(["a", "b"]))
        #expect(!strings.isValid(["a", 1]))
    }

    @Test func maximumErrorsIsRespected() throws {
        var options = SchemaOptions()
        options.maximumErrors = 3
        let schema = try JSONSchema.compile(try json(#"{"items": {"type": "string"}}"#), options: options)
        let result = schema.validate(.array(Array(repeating: 1, count: 50)))
        #expect(result.errors.count == 3)
    }

    @Test func cacheCompilesOnceForEqualSchemas() throws {
        let cache = SchemaCache()
        let a = try cache.schema(for: try json(#"{"type": "string", "minLength": 1}"#), options: SchemaOptions())
        let b = try cache.schema(for: try json(#"{"minLength": 1, "type": "string"}"#), options: SchemaOptions())
        #expect(a === b)
        var draft7 = SchemaOptions()
        draft7.defaultDialect = .draft7
        #expect(try cache.schema(for: try json(#"{"type": "string", "minLength": 1}"#), options: draft7) !== a)
        #expect(throws: SchemaError.self) { try SchemaCache.shared.schema(for: ["type": 3], options: SchemaOptions()) }
    }

    @Test func deeplyNestedSchemasAreRefused() throws {
        var schema: JSONValue = true
        for _ in 0..<2000 { schema = ["not": schema] }
        #expect(throws: SchemaError.self) { try JSONSchema.compile(schema) }
    }

    @Test func fastPatternMatcherAgreesWithRegex() throws {
        let patterns = [
            "^https?://", "^[A-Za-z0-9-]+$", "^[A-Za-z_][A-Za-z0-9_]*$", "a+b?c{2,3}", "^(ab|cd)*$", "\\bword\\b",
            "^\\d{3}-\\d{4}$", "[^a-z]", "x|y|z", "^.{2,4}$", "^a{0,2}$", "^(?:[a-f0-9]{8})-", "\\Bb", "^$", "^\\s*$",
            "[\\d.]+", "^\\u00e9+$", "^[\\w.-]+@[\\w-]+\\.[a-z]{2,}$", "^(a|)b", "c$",
        ]
        let inputs = [
            "", "a", "ab", "abcc", "abccc", "http://x", "https://x", "ftp://x", "Foo-Bar", "_id9", "9id", "abcd", "abab",
            "a word here", "words", "123-4567", "12-34567", "ABC", "x", "é", "éé", "ops@example.com", "a.b@c-d.io",
            "aab", "b", "abc", "   ", " \t", "1.5", "deadbeef-", "DEADBEEF-", "\n", "ac", "cc",
        ]
        for pattern in patterns {
            let regex = try ECMARegex(pattern)
            #expect(regex.usesFastPath, "\(pattern) should not need Swift Regex")
            for input in inputs {
                #expect(regex.matches(input) == regex.matchesWithRegex(input), "\(pattern) on \(input.debugDescription)")
            }
        }
    }

    @Test func compiledSchemasValidateConcurrently() async throws {
        let schema = try compile(#"{"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}, "required": ["name"]}"#)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    var ok = true
                    for j in 0..<500 {
                        let valid: JSONValue = ["name": "abc"]
                        let invalid: JSONValue = ["name": .string("A\(i)\(j)")]
                        ok = ok && schema.isValid(valid) && !schema.validate(invalid).isValid
                    }
                    return ok
                }
            }
            var all: [Bool] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
