import Testing
import ToolRuntime

@testable import ModelAdapters

/// The event-stream splitter: line endings, comments, multi-line data, events split across reads.
@Suite struct ServerSentEventParserTests {
    @Test func eventsAreSplitWhateverTheLineEndingsAndReadBoundaries() throws {
        let stream =
            ": comment\r\nevent: ping\r\ndata: {}\r\n\r\ndata: one\ndata:two\n\nid: 7\rretry: 5\rdata: three\r\r"
        let expected = [
            ServerSentEvent(name: "ping", data: "{}"), ServerSentEvent(name: "message", data: "one\ntwo"),
            ServerSentEvent(name: "message", data: "three"),
        ]
        for size in [1, 2, 3, 7, stream.utf8.count] {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            let bytes = Array(stream.utf8)
            for start in stride(from: 0, to: bytes.count, by: size) {
                events += try parser.feed(bytes[start..<min(start + size, bytes.count)])
            }
            #expect(events == expected, "reads of \(size) bytes")
        }
    }

    @Test func anEventNotClosedByABlankLineIsDropped() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("data: [DONE]\n".utf8)).isEmpty)
    }

    @Test func aLineOverTheLimitFailsBeforeItIsHeld() throws {
        var parser = ServerSentEventParser()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        var refused: OmegaError?
        do {
            for _ in 0..<17 { _ = try parser.feed(chunk) }
        } catch {
            refused = error
        }
        #expect(refused?.code == .internalError)
    }
}
