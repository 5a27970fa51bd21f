import Foundation
import Schema
import Testing
import TestSupport

@testable import ToolPackage

/// Hostile archives: each is refused with its own code, nothing is created outside the destination,
/// the destination itself is gone, and an install of the same archive leaves no trace.
@Suite struct PackageExtractionTests {
    typealias S = PackageTestSupport

    /// An entry of a hand-made archive.
    struct Entry {
        var path: String
        var kind: ArchiveWriter.Kind = .file
        var mode: UInt32 = 0o644
        var contents: [UInt8] = Array("x".utf8)
    }

    /// Writes `entries` as a tar.gz through libarchive.
    static func archive(_ entries: [Entry], at path: String) throws {
        let writer = try ArchiveWriter(path: path)
        for entry in entries {
            if case .file = entry.kind {
                try writer.addFile(entry.path, contents: entry.contents, mode: entry.mode)
            } else {
                try writer.header(entry.path, kind: entry.kind, mode: entry.mode)
            }
        }
        try writer.close()
    }

    static let manifest = Entry(
        path: "omega.json",
        contents: Array(try! String(contentsOfFile: S.fixture + "/omega.json", encoding: .utf8).utf8))
    static let script = Entry(path: "main.py", contents: Array("print(1)\n".utf8))

    /// Extracts into `<case>/dest` and installs into `<case>/home/packages`, expecting `code` both
    /// times, and checks that `<case>` holds nothing new and `outside` paths do not exist.
    func expectRefused(
        _ code: PackageError.Code, _ entries: [Entry], outside: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let dir = S.temporaryDirectory()
        try Self.archive([Self.manifest, Self.script] + entries, at: dir + "/hostile.tar.gz")
        try expectRefused(
            code, archive: dir + "/hostile.tar.gz", in: dir, outside: outside, sourceLocation: sourceLocation)
    }

    func expectRefused(
        _ code: PackageError.Code, archive: String, in dir: String, outside: [String] = [],
        limits: ExtractionLimits = .init(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let error = S.expectCode(code, sourceLocation: sourceLocation) {
            try PackageExtractor(limits: limits).extract(archive: archive, into: dir + "/dest")
        }
        #expect(error?.message.isEmpty == false, sourceLocation: sourceLocation)
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/dest"), "destination left behind",
            sourceLocation: sourceLocation)
        let installer = PackageInstaller(
            packagesDirectory: dir + "/home/packages", trustedKeys: TrustedKeys(), limits: limits)
        S.expectCode(code, sourceLocation: sourceLocation) {
            try installer.install(archive, options: .init(allowUnsigned: true))
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/home/packages").isEmpty, "partial install left",
            sourceLocation: sourceLocation)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(
            left == ["home", URL(fileURLWithPath: archive).lastPathComponent].sorted(), sourceLocation: sourceLocation)
        for path in outside {
            #expect(
                !FileManager.default.fileExists(atPath: path), "\(path) was created", sourceLocation: sourceLocation)
        }
    }

    @Test func aWellFormedArchiveExtractsWithNormalizedModes() throws {
        let dir = S.temporaryDirectory()
        try Self.archive(
            [
                Self.manifest, Entry(path: "./bin/", kind: .directory, mode: 0o700),
                Entry(path: "bin/run", mode: 0o750),
                Entry(path: "lib/a/b.py", mode: 0o600),
            ], at: dir + "/ok.tar.gz")
        let result = try PackageExtractor().extract(archive: dir + "/ok.tar.gz", into: dir + "/dest")
        #expect(result.files == 3)
        let fm = FileManager.default
        #expect((try fm.attributesOfItem(atPath: dir + "/dest/bin/run")[.posixPermissions] as? Int) == 0o755)
        #expect((try fm.attributesOfItem(atPath: dir + "/dest/lib/a/b.py")[.posixPermissions] as? Int) == 0o644)
        #expect((try fm.attributesOfItem(atPath: dir + "/dest/bin")[.posixPermissions] as? Int) == 0o755)
        // The destination must be fresh.
        S.expectCode(.io) { try PackageExtractor().extract(archive: dir + "/ok.tar.gz", into: dir + "/dest") }
    }

    @Test func anAbsolutePathIsRefused() throws {
        let victim = "/tmp/omega-abs-\(UUID().uuidString)"
        try expectRefused(.absolutePath, [Entry(path: victim)], outside: [victim])
    }

    @Test func aDotDotEscapeIsRefused() throws {
        let name = "omega-escape-\(UUID().uuidString)"
        try expectRefused(.pathTraversal, [Entry(path: "../\(name)")], outside: [NSTemporaryDirectory() + name])
        try expectRefused(.pathTraversal, [Entry(path: "lib/../../\(name)")], outside: [NSTemporaryDirectory() + name])
    }

    @Test func aSymlinkToEtcAndAFileWrittenThroughItAreRefused() throws {
        let name = "omega-through-link-\(UUID().uuidString)"
        try expectRefused(
            .symlink, [Entry(path: "etc", kind: .symlink("/etc")), Entry(path: "etc/\(name)")],
            outside: ["/etc/\(name)"])
        // Links that stay inside the package are refused too (policy: no links at all).
        try expectRefused(.symlink, [Entry(path: "alias.py", kind: .symlink("main.py"))])
    }

    @Test func aHardlinkToEtcPasswdIsRefused() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd"))
        try expectRefused(.hardlink, [Entry(path: "passwd", kind: .hardlink("/etc/passwd"))])
        try expectRefused(.hardlink, [Entry(path: "copy.py", kind: .hardlink("main.py"))])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd")) == before)
    }

    @Test func deviceNodesFIFOsAndSocketsAreRefused() throws {
        try expectRefused(.specialFile, [Entry(path: "null", kind: .characterDevice, mode: 0o666)])
        try expectRefused(.specialFile, [Entry(path: "disk", kind: .blockDevice, mode: 0o660)])
        try expectRefused(.specialFile, [Entry(path: "pipe", kind: .fifo)])
        // Sockets cannot be written in pax/ustar archives at all; the extractor refuses every
        // type other than regular files and directories in any case.
    }

    @Test func setuidSetgidAndStickyBitsAreRefusedNotStripped() throws {
        try expectRefused(.privilegedMode, [Entry(path: "suid", mode: 0o4755)])
        try expectRefused(.privilegedMode, [Entry(path: "sgid", mode: 0o2755)])
        try expectRefused(.privilegedMode, [Entry(path: "tmp/", kind: .directory, mode: 0o1777)])
    }

    @Test func aHundredThousandTinyFilesAreRefusedEarly() throws {
        let dir = S.temporaryDirectory()
        let writer = try ArchiveWriter(path: dir + "/many.tar.gz")
        try writer.addFile("omega.json", contents: Self.manifest.contents)
        for i in 0..<100_000 { try writer.addFile("f/\(i / 1000)/\(i)", contents: [UInt8(i & 255)]) }
        try writer.close()
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try expectRefused(.tooManyFiles, archive: dir + "/many.tar.gz", in: dir)
        }
        #expect(elapsed < .seconds(60))
    }

    @Test func aVeryLongPathIsRefused() throws {
        let long = (0..<50).map { _ in String(repeating: "d", count: 100) }.joined(separator: "/") + "/f"  // ~5 KB
        try expectRefused(.badPath, [Entry(path: long)])
        try expectRefused(.badPath, [Entry(path: String(repeating: "n", count: 300))])  // one component over 255
    }

    @Test func duplicateEntriesAreRefused() throws {
        try expectRefused(.duplicateEntry, [Entry(path: "main.py")])
    }

    // MARK: - Decompression bombs

    /// A 2 GiB-of-zeros gzip bomb made of concatenated gzip members: the 64 MiB zero member is
    /// compressed once and repeated, so generation never holds more than 64 MiB. `split` makes 32
    /// files of 64 MiB, else one 2 GiB file.
    static func makeBomb(at path: String, split: Bool) throws {
        let script = """
            import sys, tarfile, zlib
            def gz(data):
                c = zlib.compressobj(9, zlib.DEFLATED, 31)
                return c.compress(data) + c.flush()
            chunk = 64 << 20
            zeros = gz(bytes(chunk))
            split = sys.argv[2] == "split"
            with open(sys.argv[1], "wb") as out:
                manifest = open(sys.argv[3], "rb").read()
                info = tarfile.TarInfo("omega.json"); info.size = len(manifest)
                out.write(gz(info.tobuf(tarfile.USTAR_FORMAT) + manifest + bytes(-len(manifest) % 512)))
                if not split:
                    info = tarfile.TarInfo("zeros.bin"); info.size = 32 * chunk
                    out.write(gz(info.tobuf(tarfile.USTAR_FORMAT)))
                for i in range(32):
                    if split:
                        info = tarfile.TarInfo("zeros/%02d.bin" % i); info.size = chunk
                        out.write(gz(info.tobuf(tarfile.USTAR_FORMAT)))
                    out.write(zeros)
                out.write(gz(bytes(1024)))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path, split ? "split" : "single", S.fixture + "/omega.json"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func aGzipBombIsStoppedMidStream() throws {
        let dir = S.temporaryDirectory()
        try Self.makeBomb(at: dir + "/bomb.tar.gz", split: true)
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/bomb.tar.gz")[.size] as! Int
        #expect(size < 8 << 20)  // a few MB that inflate to 2 GiB
        let clock = ContinuousClock()
        // Default limits: every file is within the per-file limit, so the ratio check stops it.
        let elapsed = try clock.measure { try expectRefused(.compressionRatio, archive: dir + "/bomb.tar.gz", in: dir) }
        #expect(elapsed < .seconds(30), "the bomb was inflated instead of stopped")
        // Ratio check off: the total-size limit stops it at 256 MiB.
        var noRatio = ExtractionLimits()
        noRatio.maxCompressionRatio = .max
        try expectRefused(.tooLarge, archive: dir + "/bomb.tar.gz", in: dir, limits: noRatio)
    }

    @Test func aSingleTwoGiBFileIsRefusedByItsHeaderOrMidStream() throws {
        let dir = S.temporaryDirectory()
        try Self.makeBomb(at: dir + "/one.tar.gz", split: false)
        try expectRefused(.tooLarge, archive: dir + "/one.tar.gz", in: dir)  // declared size over the file limit
        var big = ExtractionLimits()
        big.maxFileBytes = 4 << 30
        big.maxTotalBytes = 4 << 30
        try expectRefused(.compressionRatio, archive: dir + "/one.tar.gz", in: dir, limits: big)
    }

    @Test func aCorruptArchiveIsAnArchiveError() throws {
        let dir = S.temporaryDirectory()
        S.write("not a tarball at all, just text that is long enough to not be a header", to: dir + "/junk.tar.gz")
        S.expectCode(.archive) { try PackageExtractor().extract(archive: dir + "/junk.tar.gz", into: dir + "/dest") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/dest"))
    }
}
