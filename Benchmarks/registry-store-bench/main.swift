// registry-store-bench: the registry store at scale.
//
//   registry-store-bench [LINES] [DIR] [--scan-only]
//
// Generates an index of LINES tools (default 1,000,000; about 370 bytes a line, each with a small
// input schema) in DIR (default a fresh temporary directory), then times: reading and decoding it
// alone; importing it into a new store; importing it again (every line unchanged); one `searchable`
// scan; `entries(rowIDs:)` of 50 rows; `stats()`; and the same import from gzip and xz copies when
// `gzip` and `xz` are installed. The store is kept as DIR/registry-LINES.sqlite; `--scan-only` reuses
// it and times only the reads.
import Foundation
import JSON
import Registry
import ToolPackage

let scanOnly = CommandLine.arguments.contains("--scan-only")
let arguments = CommandLine.arguments.filter { $0 != "--scan-only" }
let count = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let dir = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "omega-registry-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func report(_ what: String, _ time: Double, _ extra: String = "") {
    let label = what.padding(toLength: 36, withPad: " ", startingAt: 0)
    print(label + String(format: "%8.2f s  ", time) + extra)
}

let words = [
    "weather", "forecast", "github", "issue", "pull", "request", "email", "send", "fetch", "extract", "html", "pdf",
    "image", "resize", "translate", "search", "calendar", "event", "slack", "message", "database", "query", "csv",
    "convert", "summarize", "audio", "transcribe", "video", "invoice", "payment", "map", "route", "stock", "price",
]
let index = dir + "/index-\(count).jsonl"
if !FileManager.default.fileExists(atPath: index) {
    FileManager.default.createFile(atPath: index, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: index))
    var chunk = ""
    var generator = SystemRandomNumberGenerator()
    for i in 0..<count {
        let w = (0..<6).map { _ in words.randomElement(using: &generator)! }
        let version = "\(i % 3 + 1).\(i % 17).\(i % 5)"
        chunk +=
            #"{"id":"vendor\#(i % 997).\#(w[0])_\#(w[1])_\#(i)","version":"\#(version)","title":"\#(w[0].capitalized) \#(w[1])","#
        chunk +=
            #""description":"\#(w[2].capitalized) the \#(w[3]) of a \#(w[4]) and \#(w[5]) it, quickly and safely.","#
        chunk +=
            #""keywords":["\#(w[0])","\#(w[1])","\#(w[2])"],"input":{"type":"object","properties":{"q":{"type":"string"}}},"#
        chunk +=
            #""scopes":["read_web"],"risk":{"level":"low","externalWrite":false,"readOnly":true},"binding":"sandbox_job"}"#
        chunk += "\n"
        if chunk.utf8.count > 1 << 20 {
            handle.write(Data(chunk.utf8))
            chunk = ""
        }
    }
    handle.write(Data(chunk.utf8))
    try handle.close()
}
let size = (try FileManager.default.attributesOfItem(atPath: index)[.size] as? Int) ?? 0
print("index: \(index) — \(count) lines, \(size / 1_000_000) MB")

let database = dir + "/registry-\(count).sqlite"
if !scanOnly {
    for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: database + suffix) }
}
let store = try SQLiteRegistryStore(path: database)
var result = RegistryImport()
if !scanOnly {
    var decoded = 0
    report(
        "read + decode (no store)",
        try seconds {
            try IndexFileReader(path: index).forEachLine { _, line in
                if case .bytes(let bytes) = line, (try? RegistryEntry.decode(bytes: bytes)) != nil { decoded += 1 }
            }
        }, "\(decoded) entries")
    report(
        "import into a new store", try seconds { result = try store.importIndex(file: index) }, "added \(result.added)")
    report(
        "import again (all unchanged)", try seconds { result = try store.importIndex(file: index) },
        "unchanged \(result.unchanged)")
}

var rows: [SearchableRow] = []
rows.reserveCapacity(count)
report("searchable scan", try seconds { try store.searchable { rows.append($0) } }, "\(rows.count) rows")
let sample = (0..<50).map { _ in rows.randomElement()!.rowID }
var entries: [Int64: RegistryEntry] = [:]
report(
    "entries(rowIDs:) of 50", try seconds { entries = try store.entries(rowIDs: sample) }, "\(entries.count) entries")
var stats: RegistryStats?
report(
    "stats()", try seconds { stats = try store.stats() },
    "\(stats!.tools) tools, \(stats!.databaseBytes / 1_000_000) MB")

for (program, arguments) in [("gzip", ["-k", "-1"]), ("xz", ["-k", "-1", "-T2"])] where !scanOnly {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(program)") else { continue }
    let compressed = index + (program == "gzip" ? ".gz" : ".xz")
    if !FileManager.default.fileExists(atPath: compressed) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(program)")
        process.arguments = arguments + [index]
        try process.run()
        process.waitUntilExit()
    }
    report(
        "import again from .\(program == "gzip" ? "gz" : "xz") (unchanged)",
        try seconds { result = try store.importIndex(file: compressed) }, "unchanged \(result.unchanged)")
}
