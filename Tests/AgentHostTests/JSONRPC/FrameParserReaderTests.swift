import Testing

@testable import AgentHost

/// `FrameReader`: newline-delimited frames off the stdio stream, with a size limit that costs no memory.
@Suite struct FrameParserReaderTests {
    private func frames(_ text: String, limit: Int = 1024, chunk: Int? = nil) -> [FrameReader.Frame] {
        let bytes = Array(text.utf8)
        var reader = FrameReader(maximumBytes: limit)
        var frames: [FrameReader.Frame] = []
        var start = 0
        let size = chunk ?? max(bytes.count, 1)
        while start < bytes.count {
            frames += reader.feed(bytes[start..<min(bytes.count, start + size)])
            start += size
        }
        if let last = reader.finish() { frames.append(last) }
        return frames
    }

    private func line(_ text: String) -> FrameReader.Frame { .line(Array(text.utf8)) }

    @Test func crlfLinesLoseTheirCR() {
        for chunk in [nil, 1, 2, 3] {
            #expect(frames("a\r\nbc\r\n", chunk: chunk) == [line("a"), line("bc")])
        }
        // Only one trailing CR is the line ending; a CR inside the line stays.
        #expect(frames("a\rb\r\r\n") == [line("a\rb\r")])
    }

    @Test func emptyLinesAreSkipped() {
        #expect(frames("\n\n\r\na\n\n\r\n\nb\n") == [line("a"), line("b")])
        #expect(frames("") == [])
        #expect(frames("\r") == [])
    }

    @Test func aLineExactlyAtTheLimitIsKept() {
        for chunk in [nil, 1, 3] {
            #expect(frames("abcd\n", limit: 4, chunk: chunk) == [line("abcd")])
        }
    }

    @Test func oneByteOverTheLimitIsOversizedWithItsLength() {
        for chunk in [nil, 1, 3] {
            #expect(frames("abcde\n", limit: 4, chunk: chunk) == [.oversized(5)])
            #expect(
                frames(String(repeating: "x", count: 10_000) + "\n", limit: 4, chunk: chunk) == [.oversized(10_000)])
        }
    }

    @Test func aValidLineAfterAnOversizedOneIsStillRead() {
        for chunk in [nil, 1, 2, 5, 7] {
            #expect(
                frames("abcdefgh\nok\nabcdef\nabcd\n", limit: 4, chunk: chunk)
                    == [.oversized(8), line("ok"), .oversized(6), line("abcd")])
        }
    }

    @Test func finishReturnsTheLastLineWithoutANewline() {
        var reader = FrameReader(maximumBytes: 8)
        #expect(reader.feed(Array("a\nb".utf8)) == [line("a")])
        #expect(reader.feed(Array("c".utf8)) == [])
        #expect(reader.finish() == line("bc"))
        #expect(reader.finish() == nil)
        // An unterminated oversized line, and one that ends in a CR.
        #expect(frames("123456789", limit: 8) == [.oversized(9)])
        #expect(frames("x\r", limit: 8) == [line("x")])
    }

    @Test func theReaderIsReusableAfterEachFrame() {
        var reader = FrameReader(maximumBytes: 3)
        #expect(reader.feed(Array("long line\n".utf8)) == [.oversized(9)])
        #expect(reader.feed(Array("ab".utf8)) == [])
        #expect(reader.feed(Array("c\nd".utf8)) == [line("abc")])
        #expect(reader.feed(Array("ddd\n".utf8)) == [.oversized(4)])
    }
}
