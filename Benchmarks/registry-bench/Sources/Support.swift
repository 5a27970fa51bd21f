import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// Small helpers shared by the driver and the child phase: clocks, percentiles, /proc, files, text.

/// CLOCK_MONOTONIC in nanoseconds: the same clock in the parent and in the child it spawns.
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Seconds since `start` (monotonic nanoseconds).
func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

/// Milliseconds since `start` (monotonic nanoseconds).
func millis(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e6 }

/// Summary of a latency sample (milliseconds).
struct Latency {
    var count: Int
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double
    var mean: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            // Nearest rank: the smallest value with at least p of the sample at or below it.
            let index = Swift.max(0, Swift.min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))
            return sorted[index]
        }
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = sorted.last ?? .nan
        mean = sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count)
    }
}

/// VmHWM and VmRSS of this process, KiB.
func memoryKiB() -> (hwm: Int, rss: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var hwm = 0
    var rss = 0
    for line in text.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, let value = Int(parts[1]) else { continue }
        if parts[0] == "VmHWM:" { hwm = value }
        if parts[0] == "VmRSS:" { rss = value }
    }
    return (hwm, rss)
}

/// Size of a file in bytes (0 when absent).
func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}

/// An SQLite database's size on disk: the file plus its -wal and -shm.
func databaseSize(_ path: String) -> Int64 { fileSize(path) + fileSize(path + "-wal") + fileSize(path + "-shm") }

/// Non-empty lines of a text file.
func readLines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        .map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
}

/// The labelled quality set: `query<TAB>expected id`, `#` comments.
func readLabelled(_ path: String) throws -> [(query: String, expected: String)] {
    var result: [(String, String)] = []
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
        if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
        let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { continue }
        result.append(
            (parts[0].trimmingCharacters(in: .whitespaces), parts[1].trimmingCharacters(in: .whitespaces)))
    }
    return result
}

/// Fixed-width formatting.
func fmt(_ value: Double, _ decimals: Int = 2) -> String {
    value.isNaN ? "-" : String(format: "%.\(decimals)f", value)
}

func mib(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

func mibFromKiB(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }

func thousands(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

/// A plain-text table: a title, a header row and rows, columns padded (first column left-aligned,
/// the others right-aligned).
struct Table {
    var title: String
    var header: [String]
    var rows: [[String]] = []
    var notes: [String] = []

    init(_ title: String, _ header: [String]) {
        self.title = title
        self.header = header
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = Swift.max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: Swift.max(0, widths[i] - cell.count))
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var out = "\n== \(title)\n"
        out += line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        for note in notes { out += "  " + note + "\n" }
        return out
    }
}

/// Prints and flushes (the output is usually piped through tee).
func say(_ text: String) {
    print(text)
    fflush(nil)
}

/// Progress on stderr.
func progress(_ text: String) {
    FileHandle.standardError.write(Data(("  .. " + text + "\n").utf8))
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
