import JSON
import Testing

@testable import AgentHost

/// The host's parsers of untrusted text, driven by a seeded generator (the same frames every run): valid
/// MCP requests mutated by byte flips, truncation, duplication, deep nesting, huge numbers, invalid
/// UTF-8, NULs and lone surrogates. Every frame must become a message or a refusal with a JSON-RPC code,
/// never a trap; the stdio reader must not depend on how the bytes arrive; a sealed token altered in any
/// byte must not open. (`Fuzz/run-frame-fuzz.sh` runs the same properties under libFuzzer.)
@Suite struct FrameParserPropertyTests {
    /// How many generated frames each property sees.
    static let frameCount = 20_000

    @Test func everyMutatedFrameDecodesOrIsRefusedWithAJSONRPCCode() {
        var random = SplitMix64(seed: 0x5EED_F00D)
        var messages = 0
        var refusals: [String: Int] = [:]
        for _ in 0..<Self.frameCount {
            let frame = FrameGenerator.frame(using: &random)
            let limit = [64, 1024, JSONRPCMessage.defaultMaximumBytes].randomElement(using: &random)!
            for maximumBytes in [limit, JSONRPCMessage.defaultMaximumBytes] {
                switch JSONRPCMessage.decode(frame, maximumBytes: maximumBytes) {
                case .success:
                    #expect(frame.count <= maximumBytes)
                    messages += 1
                case .failure(let refusal):
                    let reason = refusal.error.data?["reason"]?.stringValue ?? "?"
                    refusals[reason, default: 0] += 1
                    #expect(
                        [JSONRPCError.parseError, JSONRPCError.invalidRequest].contains(refusal.error.code),
                        "\(refusal.error) for \(String(decoding: frame.prefix(200), as: UTF8.self).debugDescription)")
                    #expect((reason == "not_json") == (refusal.error.code == JSONRPCError.parseError))
                    #expect((reason == "frame_too_large") == (frame.count > maximumBytes))
                    // The answer to a refused frame must be writable.
                    #expect(!refusal.error.response(id: refusal.id).jsonText.isEmpty)
                }
            }
        }
        // The generator reaches both outcomes and the main refusals (else it tests little).
        #expect(messages > Self.frameCount / 20, "messages: \(messages), refusals: \(refusals)")
        for reason in [
            "not_json", "not_an_object", "frame_too_large", "bad_version", "bad_id", "bad_method", "bad_params",
            "mixed_message",
        ] {
            #expect(refusals[reason, default: 0] > 0, "no \(reason) among \(refusals)")
        }
    }

    @Test func frameReaderGivesTheSameFramesHoweverTheBytesArrive() {
        var random = SplitMix64(seed: 0xC4_0CC5)
        var previous: [UInt8] = []
        var oversized = 0
        for index in 0..<Self.frameCount {
            // A stream of two generated frames (which may hold newlines and CRs of their own), cut at 8 KiB: a
            // longer line is no different to the reader and slow to feed one byte at a time in a debug build.
            let frame = Array(FrameGenerator.frame(using: &random).prefix(8192))
            var stream = previous
            stream += random.next() % 2 == 0 ? [10] : [13, 10]
            stream += frame
            if random.next() % 2 == 0 { stream.append(10) }
            previous = frame
            let limit = [1, 16, 64, 256, 4096, 1 << 20].randomElement(using: &random)!

            let whole = Self.read(stream, limit: limit, chunks: [stream.count])
            let chunked = Self.read(stream, limit: limit, chunks: Self.chunking(stream.count, using: &random))
            #expect(whole == chunked)
            if index % 16 == 0, stream.count <= 4096 {  // one byte at a time: slow, so a sample
                #expect(whole == Self.read(stream, limit: limit, chunks: Array(repeating: 1, count: stream.count)))
            }
            #expect(whole == Self.splitOnNewlines(stream, limit: limit))
            for case .oversized(let length) in whole {
                #expect(length > limit)
                oversized += 1
            }
            for case .line(let line) in whole {
                #expect(!line.isEmpty && line.count <= limit && !line.contains(10))
            }
        }
        #expect(oversized > 0)
    }

    @Test func alteredSealedTokensNeverOpen() {
        var random = SplitMix64(seed: 0x70_CE45)
        let sealer = SealedToken(key: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let otherKey = SealedToken(key: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let documents: [JSONValue] = [
            [:], ["v": 1, "call": "tools/call", "step": 3, "nonce": "q83vEjRWeJCrze8SNFZ4kA"],
            ["ticket": "x", "scope": ["a", "b"], "exp": 1_900_000_000], .string(String(repeating: "é", count: 300)),
        ]
        for document in documents {
            let token = sealer.seal(document, purpose: "request-state")
            #expect(sealer.open(token, purpose: "request-state") == document)
            #expect(sealer.open(token, purpose: "credential-ticket") == nil)
            #expect(otherKey.open(token, purpose: "request-state") == nil)
            let bytes = Array(token.utf8)
            // Every byte, flipped in three ways.
            for position in bytes.indices {
                for _ in 0..<3 {
                    var altered = bytes
                    altered[position] ^= UInt8.random(in: 1...255, using: &random)
                    #expect(sealer.open(String(decoding: altered, as: UTF8.self), purpose: "request-state") == nil)
                }
            }
            // Truncated anywhere, extended, or with a byte duplicated.
            for length in 0..<bytes.count {
                #expect(sealer.open(String(decoding: bytes[..<length], as: UTF8.self), purpose: "request-state") == nil)
            }
            for suffix in ["A", "AA", "=", "==", "\n", " ", "\u{0}"] {
                #expect(sealer.open(token + suffix, purpose: "request-state") == nil)
            }
            for _ in 0..<200 {
                var altered = bytes
                let position = Int.random(in: 0..<altered.count, using: &random)
                altered.insert(altered[position], at: position)
                #expect(sealer.open(String(decoding: altered, as: UTF8.self), purpose: "request-state") == nil)
            }
        }
        // Random text, with and without the prefix, and mutated generated frames.
        for _ in 0..<Self.frameCount / 4 {
            let text = String(decoding: FrameGenerator.frame(using: &random), as: UTF8.self)
            let base64 = SealedToken.base64url(
                Self.randomBytes(Int.random(in: 0...120, using: &random), using: &random))
            for candidate in [text, SealedToken.prefix + text, SealedToken.prefix + base64] {
                #expect(sealer.open(candidate, purpose: "request-state") == nil)
            }
        }
        #expect(
            sealer.open(SealedToken.prefix + String(repeating: "A", count: SealedToken.maximumBytes), purpose: "x")
                == nil)
    }

    @Test func base64urlDecodingIsCanonicalAndNeverTraps() {
        var random = SplitMix64(seed: 0xBA5E_64)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n.é".utf8)
        for _ in 0..<Self.frameCount / 2 {
            let bytes = Self.randomBytes(Int.random(in: 0...64, using: &random), using: &random)
            #expect(SealedToken.base64urlDecode(SealedToken.base64url(bytes)) == bytes)
            let text = String(
                decoding: (0..<Int.random(in: 0...40, using: &random)).map { _ in
                    alphabet.randomElement(using: &random)!
                }, as: UTF8.self)
            if let decoded = SealedToken.base64urlDecode(text) {
                #expect(SealedToken.base64url(decoded) == text)
            }
        }
    }

    @Test func cursorDecodingNeverTrapsAndRoundTrips() {
        var random = SplitMix64(seed: 0xC0_5504)
        let names = ["echo", "a", "", "ns/tool-1", "é", "e\u{301}", "🙂", String(repeating: "x", count: 700)]
        for name in names {
            #expect(MCPHost.decodeCursor(MCPHost.encodeCursor(after: name)) == name)
        }
        #expect(MCPHost.decodeCursor(MCPHost.encodeCursor(after: String(repeating: "x", count: 800))) == nil)
        var opened = 0
        for _ in 0..<Self.frameCount / 2 {
            let candidates = [
                String(decoding: FrameGenerator.frame(using: &random).prefix(80), as: UTF8.self),
                SealedToken.base64url(Self.randomBytes(Int.random(in: 0...40, using: &random), using: &random)),
                SealedToken.base64url(
                    Array("after:".utf8) + Self.randomBytes(Int.random(in: 0...12, using: &random), using: &random)),
            ]
            for cursor in candidates {
                guard let name = MCPHost.decodeCursor(cursor) else { continue }
                opened += 1
                #expect(MCPHost.encodeCursor(after: name) == cursor, "\(cursor) opened as \(name.debugDescription)")
            }
        }
        #expect(opened > 0)
    }

    // MARK: - Helpers

    static func randomBytes(_ count: Int, using random: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// Chunk sizes covering `count` bytes: mostly tiny, sometimes empty, sometimes large.
    static func chunking(_ count: Int, using random: inout SplitMix64) -> [Int] {
        var chunks: [Int] = []
        var covered = 0
        while covered < count {
            let size =
                random.next() % 5 == 0
                ? Int.random(in: 1...4096, using: &random) : Int.random(in: 0...9, using: &random)
            chunks.append(size)
            covered += size
        }
        return chunks
    }

    static func read(_ bytes: [UInt8], limit: Int, chunks: [Int]) -> [FrameReader.Frame] {
        var reader = FrameReader(maximumBytes: limit)
        var frames: [FrameReader.Frame] = []
        var start = 0
        for size in chunks {
            let end = min(bytes.count, start + size)
            frames += reader.feed(bytes[start..<end])
            start = end
        }
        frames += reader.feed(bytes[start...])
        if let last = reader.finish() { frames.append(last) }
        return frames
    }

    /// The frames the reader should give, the simple way: split on `\n`; a line longer than the limit
    /// (its `\r` counted) is oversized; otherwise one trailing `\r` is dropped and empty lines skipped.
    static func splitOnNewlines(_ bytes: [UInt8], limit: Int) -> [FrameReader.Frame] {
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        if bytes.isEmpty || bytes.last == 10 { lines.removeLast() }
        return lines.compactMap { line in
            if line.count > limit { return .oversized(line.count) }
            var kept = Array(line)
            if kept.last == 13 { kept.removeLast() }
            return kept.isEmpty ? nil : .line(kept)
        }
    }
}

extension FrameParserPropertyTests {
    /// A deterministic generator (SplitMix64), so a failure reproduces with its seed.
    struct SplitMix64: RandomNumberGenerator {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Frames for the properties: valid MCP messages, most of them mutated.
    enum FrameGenerator {
        static let valid: [String] = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","id":"c-7","method":"tools/call","params":{"name":"echo","arguments":{"text":"h\u00e9llo \ud83d\ude00","n":[1,-2.5e-3,1e300,null,true]},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":"p1"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"YWZ0ZXI6ZWNobw","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"deploy","arguments":{},"requestState":"ost1.AAAA","_meta":{"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"server/discover"}"#,
            #"{"jsonrpc":"2.0","id":9,"result":{"action":"accept","content":{"ok":true}}}"#,
            #"{"jsonrpc":"2.0","id":10,"error":{"code":-32601,"message":"no such method","data":{"reason":"x"}}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"ping","params":[]}"#,
        ]

        static let numbers = [
            "123456789012345678901234567890", "1e999", "-1e999", "1e-400", "-0", "-0.0", "9223372036854775808",
            "-9223372036854775809", "1.5", "0.1e1", String(repeating: "9", count: 400),
            "1" + String(repeating: "0", count: 310) + ".5",
        ]

        static let values = [
            "null", "true", #""""#, #""a\u0001b""#, #""\ud800""#, "[]", "{}", #"{"code":1,"message":"m"}"#, #""2.0""#,
            #""ping""#, "[1,2]", #""x""#,
        ]

        static let fragments: [[UInt8]] = [
            [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x00], [0x00, 0x00],
            Array(#"\ud800"#.utf8), Array(#"\udc00"#.utf8), Array(#"\ud83d\u0041"#.utf8), Array(#"\ud83d"#.utf8),
            Array(#"\u0000"#.utf8), Array(#"\"#.utf8), [0x22], [0x2C], [0x7D], [0x5D], [0x0A], [0x0D], [0x09], [0x01],
        ]

        static func frame(using random: inout SplitMix64) -> [UInt8] {
            var frame = Array(valid.randomElement(using: &random)!.utf8)
            let mutations = random.next() % 8 == 0 ? 0 : Int.random(in: 1...3, using: &random)
            for _ in 0..<mutations { mutate(&frame, using: &random) }
            return frame
        }

        static func mutate(_ frame: inout [UInt8], using random: inout SplitMix64) {
            let position = frame.isEmpty ? 0 : Int.random(in: 0...frame.count, using: &random)
            switch random.next() % 10 {
            case 0 where position < frame.count:  // byte flip
                frame[position] ^= UInt8(1) << UInt8(random.next() % 8)
            case 1:  // truncation
                frame.removeLast(frame.count - position)
            case 2:  // duplication of a slice
                let end = Int.random(in: position...frame.count, using: &random)
                frame.insert(contentsOf: frame[position..<end], at: Int.random(in: 0...frame.count, using: &random))
            case 3:  // deep nesting, up to 10,000 levels, as params or as the whole frame
                let depth = Int.random(in: 1...(random.next() % 4 == 0 ? 10_000 : 100), using: &random)
                let open = random.next() % 2 == 0 ? #"{"a":"# : "["
                var nested = String(repeating: open, count: depth) + "1"
                if random.next() % 8 != 0 { nested += String(repeating: open == "[" ? "]" : "}", count: depth) }
                frame = Array(
                    (random.next() % 2 == 0 ? nested : #"{"jsonrpc":"2.0","id":1,"method":"m","params":\#(nested)}"#)
                        .utf8)
            case 4:  // a huge number or an odd value for a member, or a member a request must not carry
                let key = ["id", "method", "params", "jsonrpc", "result", "error"].randomElement(using: &random)!
                let value = (numbers + values).randomElement(using: &random)!
                let text = String(decoding: frame, as: UTF8.self)
                frame =
                    text.contains("\"\(key)\":")
                    ? Array(text.replacing("\"\(key)\":", with: "\"\(key)\":\(value),\"x\":", maxReplacements: 1).utf8)
                    : Array(#"{"\#(key)":\#(value),"#.utf8) + frame.dropFirst()
            case 5:  // a fragment right after a quote (inside a string, often)
                let quote =
                    frame.indices.filter { frame[$0] == 0x22 }.randomElement(using: &random).map { $0 + 1 } ?? position
                frame.insert(contentsOf: fragments.randomElement(using: &random)!, at: quote)
            case 6:  // a fragment anywhere
                frame.insert(contentsOf: fragments.randomElement(using: &random)!, at: position)
            case 7:  // random bytes
                frame.insert(
                    contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    },
                    at: position)
            case 8:  // a byte removed
                if position < frame.count { frame.remove(at: position) }
            default:  // a batch, or a bare value
                frame = random.next() % 2 == 0 ? [0x5B] + frame + [0x5D] : Array(#""just a string""#.utf8)
            }
        }
    }
}
