import Foundation
import JSON
import TestSupport
import Testing

@testable import Registry

/// The index reader streams lines with their numbers from plain, gzip and xz files (detected by
/// content), in bounded memory, and names the file when it cannot read it to its end.
@Suite struct IndexFileReaderTests {
    /// Every line the reader delivers: (number, text or nil for a too-long line, its length).
    func lines(_ path: String, blockBytes: Int = 1 << 20, maximum: Int = RegistryEntry.maximumLineBytes) throws
        -> [(Int, String?, Int)]
    {
        var reader = IndexFileReader(path: path, maximumLineBytes: maximum)
        reader.blockBytes = blockBytes
        var result: [(Int, String?, Int)] = []
        try reader.forEachLine { number, line in
            switch line {
            case .bytes(let bytes): result.append((number, String(decoding: bytes, as: UTF8.self), bytes.count))
            case .tooLong(let count): result.append((number, nil, count))
            }
        }
        return result
    }

    func unreadable(_ path: String) -> RegistryError? {
        do {
            _ = try lines(path)
            return nil
        } catch let error as RegistryError {
            return error
        } catch {
            return nil
        }
    }

    @Test func linesAreNumberedFromOneAndBlankLinesAreSkippedButCounted() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/index.jsonl"
        Fixture.write("\u{FEFF}first\n\n  \t \nsecond\r\n\r\nthird", to: path)
        let read = try lines(path)
        #expect(read.map(\.0) == [1, 4, 6])
        #expect(read.map(\.1) == ["first", "second", "third"])
    }

    @Test func linesSpanningBlockBoundariesComeOutWhole() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/index.jsonl"
        let expected = (1...200).map { i in String(repeating: "\(i % 10)", count: i) }
        Fixture.write(expected.joined(separator: "\n") + "\n", to: path)
        for block in [1, 2, 7, 64, 1000, 1 << 20] {
            let read = try lines(path, blockBytes: block)
            #expect(read.map(\.1) == expected, "block \(block)")
            #expect(read.map(\.0) == Array(1...200))
        }
        // Over-long lines are counted whole even when they span many blocks.
        let read = try lines(path, blockBytes: 7, maximum: 100)
        #expect(read.filter { $0.1 == nil }.map(\.2) == Array(101...200))
        #expect(read.filter { $0.1 != nil }.count == 100)
    }

    @Test func aLineOverTheLimitIsReportedWithoutBeingLoaded() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/index.jsonl"
        let huge = String(repeating: "x", count: 10 << 20)
        Fixture.write("{}\n" + huge + "\n{}\n", to: path)
        let read = try lines(path)
        #expect(read.map(\.0) == [1, 2, 3])
        #expect(read[1].1 == nil && read[1].2 == 10 << 20)
        #expect(read[2].1 == "{}")
    }

    @Test func gzipAndXzAreDetectedByTheirContentNotTheirName() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = RegistryFixture.index(["one", "two", "", "three"], in: dir)
        for program in ["gzip", "xz"] {
            let compressed = try RegistryFixture.compress(plain, with: program)
            let misnamed = dir + "/\(program)-content.jsonl"
            try FileManager.default.copyItem(atPath: compressed, toPath: misnamed)
            for path in [compressed, misnamed] {
                var summary: IndexFileReader.Summary?
                var read: [String] = []
                summary = try IndexFileReader(path: path).forEachLine { _, line in
                    if case .bytes(let bytes) = line { read.append(String(decoding: bytes, as: UTF8.self)) }
                }
                #expect(read == ["one", "two", "three"], "\(path)")
                #expect(summary?.compression == program, "\(path)")
                #expect(summary?.lines == 4)
            }
        }
    }

    @Test func concatenatedGzipMembersAreReadInOrderAndTrailingGarbageIsRefused() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try RegistryFixture.compress(
            RegistryFixture.index(["one", "two"], in: dir, name: "a"), with: "gzip")
        let second = try RegistryFixture.compress(RegistryFixture.index(["three"], in: dir, name: "b"), with: "gzip")
        var joined = try Data(contentsOf: URL(fileURLWithPath: first))
        joined.append(try Data(contentsOf: URL(fileURLWithPath: second)))
        let both = dir + "/both.gz"
        try joined.write(to: URL(fileURLWithPath: both))
        #expect(try lines(both).map(\.1) == ["one", "two", "three"])
        #expect(try lines(both).map(\.0) == [1, 2, 3])
        joined.append(contentsOf: Array("garbage".utf8))
        try joined.write(to: URL(fileURLWithPath: both))
        #expect(unreadable(both)?.message.contains("gzip stream is corrupt") == true)
    }

    @Test func anEmptyFileHasNoLines() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/empty.jsonl"
        Fixture.write("", to: path)
        #expect(try lines(path).isEmpty)
        let gz = try RegistryFixture.compress(path, with: "gzip")
        #expect(try lines(gz).isEmpty)
    }

    @Test func aMissingFileOrADirectoryIsAnErrorNamingIt() {
        let missing = unreadable("/nonexistent/omega/index.jsonl")
        #expect(missing?.code == .indexUnreadable)
        #expect(missing?.message.contains("/nonexistent/omega/index.jsonl") == true)
        #expect(missing?.message.contains("No such file") == true)
        let directory = unreadable(NSTemporaryDirectory())
        #expect(directory?.code == .indexUnreadable)
        #expect(directory?.message.contains("not a regular file") == true)
    }

    @Test func aTruncatedOrCorruptCompressedStreamIsAnErrorNamingTheFile() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = RegistryFixture.index((0..<20_000).map { RegistryFixture.line("t.n\($0)", "1.0.0") }, in: dir)
        for program in ["gzip", "xz"] {
            let compressed = try RegistryFixture.compress(plain, with: program)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: compressed))
            let truncated = dir + "/truncated.\(program)"
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
            var corrupt = bytes
            for i in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { corrupt[i] ^= 0x5A }
            let corrupted = dir + "/corrupt.\(program)"
            try corrupt.write(to: URL(fileURLWithPath: corrupted))
            for path in [truncated, corrupted] {
                let error = unreadable(path)
                #expect(error?.code == .indexUnreadable, "\(path) was read to its end")
                #expect(error?.message.hasPrefix(path) == true, "\(String(describing: error))")
            }
        }
    }

    @Test func aDecompressionBombIsRefusedMidStreamWhileARepetitiveIndexIsRead() throws {
        let dir = Fixture.directory("registry-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 80 MiB of zeros: about 12 KB of xz, 80 KB of gzip.
        let zeros = dir + "/zeros.jsonl"
        FileManager.default.createFile(atPath: zeros, contents: Data(count: 80 << 20))
        let xz = try RegistryFixture.compress(zeros, with: "xz")
        let gzip = try RegistryFixture.compress(zeros, with: "gzip")
        try FileManager.default.removeItem(atPath: zeros)
        let error = unreadable(xz)
        #expect(error?.code == .indexUnreadable && error?.message.contains("decompression bomb") == true, "\(String(describing: error))")
        var reader = IndexFileReader(path: gzip)
        reader.maximumExpansion = 100
        #expect(throws: RegistryError.self) { try reader.forEachLine { _, _ in } }

        // A real index whose every line is repeated 50 times (about 200 to 1 in xz) is read whole.
        let lines = (0..<400).flatMap { n in repeatElement(RegistryFixture.line("t.n\(n)", "1.0.\(n)"), count: 50) }
        let repetitive = try RegistryFixture.compress(RegistryFixture.index(lines, in: dir, name: "repeated"), with: "xz")
        var small = IndexFileReader(path: repetitive)
        small.expansionFloorBytes = 1 << 16
        var count = 0
        try small.forEachLine { _, _ in count += 1 }
        #expect(count == 20_000)
    }
}
