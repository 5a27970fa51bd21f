import Foundation

// registry-bench: the registry at 10k / 100k / 1M tools against SQLite FTS5 in the same run.
// Run it through Benchmarks/registry-bench.sh, which prepares the inputs:
//
//   registry-bench --work DIR --sizes 10000,100000,all --queries-file FILE
//                  [--subset first|sample] [--quality queries.tsv] [--manifests Manifests] [--keep-fts5]
//       For each size (input DIR/index-<size>.jsonl, or DIR/sample-<size>.jsonl with --subset sample;
//       `all` is DIR/index-all.jsonl): a fresh home, the import and the index build
//       timed, then a child process (`serve`) opens the built home as a surface would and answers
//       every query; then an FTS5 table over the same rows answers them too. Prints tables and a
//       pass/fail summary against the targets.
//
//   registry-bench serve --home H --queries FILE --report OUT --spawned-at NS [--quality queries.tsv]
//       The child phase (internal): start-up to the first answer, per-query latencies, memory.

func parseOptions(_ arguments: ArraySlice<String>) throws -> [String: String] {
    var options: [String: String] = [:]
    var rest = arguments
    while let name = rest.popFirst() {
        guard name.hasPrefix("--") else { throw BenchFailure("unexpected argument \(name)") }
        let key = String(name.dropFirst(2))
        if key == "keep-fts5" {
            options[key] = "1"
            continue
        }
        guard let value = rest.popFirst() else { throw BenchFailure("\(name) needs a value") }
        options[key] = value
    }
    return options
}

do {
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.first == "serve" {
        try serve(arguments: try parseOptions(arguments.dropFirst()))
    } else {
        try Driver(arguments: try parseOptions(arguments)).run()
    }
} catch {
    FileHandle.standardError.write(Data("registry-bench: \(error)\n".utf8))
    exit(1)
}
