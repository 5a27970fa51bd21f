import JSON
import Testing

@testable import AgentHost

/// `JSONRPCMessage.decode`: what each kind of frame becomes, and the reason each refusal names.
@Suite struct FrameParserDecodeTests {
    private func refusal(_ text: String, maximumBytes: Int = JSONRPCMessage.defaultMaximumBytes)
        -> JSONRPCMessage.Refusal?
    {
        guard case .failure(let refusal) = JSONRPCMessage.decode(Array(text.utf8), maximumBytes: maximumBytes) else {
            return nil
        }
        return refusal
    }

    private func reason(_ refusal: JSONRPCMessage.Refusal?) -> String? {
        refusal?.error.data?["reason"]?.stringValue
    }

    @Test func decodesRequestsNotificationsAndResponses() throws {
        let request = try JSONRPCMessage.decode(
            Array(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","_meta":{"k":1}}}"#.utf8)
        ).get()
        #expect(
            request == .request(id: .integer(7), method: "tools/call", params: ["name": "echo", "_meta": ["k": 1]]))
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#.utf8)).get()
                == .request(id: .string("a"), method: "ping", params: nil))
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","method":"n","params":[1]}"#.utf8)).get()
                == .notification(method: "n", params: [1]))
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":3,"result":{}}"#.utf8)).get()
                == .response(id: .integer(3), result: [:]))
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"m"}}"#.utf8))
                .get() == .errorResponse(id: nil, error: JSONRPCError(-1, "m")))
        // Whitespace and a CR around the document are allowed (a CRLF line keeps no more than its CR).
        #expect((try? JSONRPCMessage.decode(Array(" {\"jsonrpc\":\"2.0\",\"method\":\"n\"}\r".utf8)).get()) != nil)
    }

    @Test(arguments: [
        "", "{", "nul", "{\"jsonrpc\":\"2.0\",}", "{\"a\":1,\"a\":2}", "\u{0}", "{\"jsonrpc\":\"2.0\"} x",
    ])
    func notJSONIsAParseError(_ text: String) {
        let refused = refusal(text)
        #expect(refused?.error.code == JSONRPCError.parseError)
        #expect(reason(refused) == "not_json")
        #expect(refused?.id == nil)
    }

    @Test func invalidUTF8AndLoneSurrogatesAreParseErrors() {
        for bytes: [UInt8] in [
            Array(#"{"jsonrpc":"2.0","method":""#.utf8) + [0xFF] + Array(#""}"#.utf8),
            Array(#"{"jsonrpc":"2.0","method":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
            Array(#"{"jsonrpc":"2.0","method":"a\ud800"}"#.utf8),
            Array(#"{"jsonrpc":"2.0","method":"a\udc00\ud800"}"#.utf8),
        ] {
            guard case .failure(let refused) = JSONRPCMessage.decode(bytes) else {
                Issue.record("accepted \(bytes)")
                continue
            }
            #expect(refused.error.code == JSONRPCError.parseError)
        }
    }

    @Test func nestingDeeperThanTheLimitIsRefusedNotRecursedInto() {
        let depth = 10_000
        let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(reason(refusal(#"{"jsonrpc":"2.0","method":"m","params":\#(deep)}"#)) == "not_json")
        let allowed =
            String(repeating: "[", count: JSONRPCMessage.maximumDepth - 1)
            + String(repeating: "]", count: JSONRPCMessage.maximumDepth - 1)
        #expect(refusal(#"{"jsonrpc":"2.0","method":"m","params":\#(allowed)}"#) == nil)
    }

    @Test(arguments: [
        "[]", #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"n"}]"#, #""text""#, "42", "null",
        "true",
    ])
    func notAnObjectIsAnInvalidRequest(_ text: String) {
        let refused = refusal(text)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "not_an_object")
        if text.hasPrefix("[") { #expect(refused?.error.message.contains("batch") == true) }
    }

    @Test(arguments: [
        #"{"id":1,"method":"ping"}"#, #"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
        #"{"jsonrpc":2.0,"id":1,"method":"ping"}"#, #"{"jsonrpc":null,"id":1,"method":"ping"}"#,
    ])
    func aWrongVersionIsRefusedToItsID(_ text: String) {
        let refused = refusal(text)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "bad_version")
        #expect(refused?.id == .integer(1))
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, #"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":1e300,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","result":{}}"#,
    ])
    func aBadIDIsRefusedWithoutAnID(_ text: String) {
        let refused = refusal(text)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "bad_id")
        #expect(refused?.id == nil)
    }

    @Test func integralIDsWrittenAsNumbersAreIntegers() throws {
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":2.0,"method":"ping"}"#.utf8)).get()
                == .request(id: .integer(2), method: "ping", params: nil))
        #expect(
            try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"p"}"#.utf8)).get()
                == .request(id: .integer(.min), method: "p", params: nil))
    }

    @Test(arguments: [
        #""method":"""#, #""method":5"#, #""method":null"#, #""method":["ping"]"#, #""method":"a\u0001b""#,
        #""method":"a\nb""#, #""method":"\#(String(repeating: "m", count: JSONRPCMessage.maximumMethodBytes + 1))""#,
    ])
    func aBadMethodIsRefusedToItsID(_ member: String) {
        let refused = refusal(#"{"jsonrpc":"2.0","id":"r",\#(member)}"#)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "bad_method")
        #expect(refused?.id == .string("r"))
    }

    @Test func aMethodAtTheLengthLimitIsRead() {
        let method = String(repeating: "m", count: JSONRPCMessage.maximumMethodBytes)
        #expect(refusal(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)"}"#) == nil)
    }

    @Test(arguments: [#""params":1"#, #""params":"x""#, #""params":null"#, #""params":true"#])
    func paramsThatAreNeitherObjectNorArrayAreRefused(_ member: String) {
        let refused = refusal(#"{"jsonrpc":"2.0","id":2,"method":"ping",\#(member)}"#)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "bad_params")
        #expect(refused?.id == .integer(2))
    }

    @Test(arguments: [#""result":{}"#, #""error":{"code":1,"message":"m"}"#, #""result":null"#])
    func aRequestCarryingAResultOrErrorIsAMixedMessage(_ member: String) {
        let refused = refusal(#"{"jsonrpc":"2.0","id":3,"method":"ping",\#(member)}"#)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "mixed_message")
    }

    @Test func framesOverTheLimitAreRefusedUnread() {
        let frame = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        #expect(refusal(frame, maximumBytes: frame.utf8.count) == nil)
        let refused = refusal(frame, maximumBytes: frame.utf8.count - 1)
        #expect(refused?.error.code == JSONRPCError.invalidRequest)
        #expect(reason(refused) == "frame_too_large")
        #expect(refused?.error.data?["limit"] == .integer(Int64(frame.utf8.count - 1)))
        #expect(refused?.id == nil)
        // Unread: even garbage over the limit is "too large", not "not JSON".
        #expect(reason(refusal(String(repeating: "x", count: 65), maximumBytes: 64)) == "frame_too_large")
    }

    @Test func otherMalformedMessagesAreInvalidRequests() {
        #expect(reason(refusal(#"{"jsonrpc":"2.0","id":1}"#)) == "not_a_message")
        #expect(
            reason(refusal(#"{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}"#)) == "not_a_message"
        )
        #expect(reason(refusal(#"{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}"#)) == "bad_error")
        #expect(reason(refusal(#"{"jsonrpc":"2.0","id":1,"error":"boom"}"#)) == "bad_error")
    }
}
