import Foundation
import Registry
import Search
import Service
import ToolPackage
import ToolRuntime

/// Everything measured at one registry size.
struct SizeRun {
    var label: String
    var file: String
    var lines = 0
    var imported = RegistryImport()
    var importSeconds = 0.0
    var buildSeconds = 0.0
    var buildSource = ""
    var builtTools = 0
    var indexFileBytes: Int64 = 0
    var databaseBytes: Int64 = 0
    var serve: ServeReport!
    var ftsBuildSeconds = 0.0
    var ftsRows = 0
    var ftsBytes: Int64 = 0
    var ftsMs: [Double] = []
    var ftsIDs: [[String]] = []
    var ftsQualityMs: [Double] = []
    var ftsQualityIDs: [[String]] = []
    /// /proc/loadavg (1 min) when the child started.
    var load = ""
}

/// Quality figures over the labelled set.
struct Quality {
    var recall5 = 0.0
    var recall10 = 0.0
    var mrr = 0.0
    var count = 0

    init(_ labels: [String], _ ranked: [[String]]) {
        count = labels.count
        guard count > 0 else { return }
        for (expected, ids) in zip(labels, ranked) {
            guard let rank = ids.prefix(10).firstIndex(of: expected).map({ $0 + 1 }) else { continue }
            if rank <= 5 { recall5 += 1 }
            recall10 += 1
            mrr += 1 / Double(rank)
        }
        recall5 /= Double(count)
        recall10 /= Double(count)
        mrr /= Double(count)
    }
}

struct Driver {
    var work: String
    var sizes: [String]
    var queriesPath: String
    var qualityPath: String
    var manifests: String
    /// Keep each size's FTS5 database (DIR/size-<size>/fts5.sqlite) after the run.
    var keepFTS5: Bool
    /// `first` (the first N lines of the converted corpus: index-N.jsonl) or `sample` (a seeded random
    /// sample of N lines in corpus order: sample-N.jsonl).
    var subset: String

    init(arguments: [String: String]) throws {
        work = arguments["work"] ?? "/tmp/registry-bench"
        sizes = (arguments["sizes"] ?? "10000,100000,all").split(separator: ",").map(String.init)
        guard let queries = arguments["queries-file"] else { throw BenchFailure("--queries-file is required") }
        queriesPath = queries
        qualityPath = arguments["quality"] ?? "Tests/RegistryTests/Fixtures/quality/queries.tsv"
        manifests = arguments["manifests"] ?? "Manifests"
        keepFTS5 = arguments["keep-fts5"] != nil
        subset = arguments["subset"] ?? "first"
        guard subset == "first" || subset == "sample" else { throw BenchFailure("--subset: first or sample") }
    }

    func run() throws {
        let started = monotonicNanos()
        // The starter tools are part of the registry: name them explicitly (the child inherits this).
        let manifestsPath = URL(fileURLWithPath: manifests).standardizedFileURL.path
        setenv("OMEGA_STARTER_TOOLS", manifestsPath, 1)

        // The benchmark queries: the set from make_queries.py with the issue's example first (it is also
        // the start-up query: one of the most expensive kinds, all common words).
        var queries = try readLines(queriesPath)
        let example = "a simple library for data"
        queries.removeAll { $0 == example }
        queries.insert(example, at: 0)
        let queryFile = work + "/bench-queries.txt"
        try (queries.joined(separator: "\n") + "\n").write(toFile: queryFile, atomically: true, encoding: .utf8)
        let labelled = try readLabelled(qualityPath)
        let wordCounts = queries.map { $0.split(separator: " ").count }

        say("registry-bench  \(Date())  load average \(loadAverage())  host: \(ProcessInfo.processInfo.activeProcessorCount) CPUs, "
            + "\(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB")
        say("queries: \(queries.count) from \(queriesPath) (+ \"\(example)\" first), "
            + (1...6).map { n in "\(n)w \(wordCounts.filter { $0 == n }.count)" }.joined(separator: " ")
            + "; quality set: \(labelled.count) labelled queries (\(qualityPath))")
        say("starter tools: \(manifestsPath); sizes: \(sizes.joined(separator: ", ")) ("
            + (subset == "first" ? "the first N lines of the converted corpus" : "seeded random samples of N lines")
            + "); work: \(work)")

        var runs: [SizeRun] = []
        for (position, label) in sizes.enumerated() {
            let isLast = position == sizes.count - 1
            let prefix = label == "all" || subset == "first" ? "index" : "sample"
            var run = SizeRun(label: label, file: work + "/\(prefix)-\(label).jsonl")
            try measure(&run, queryFile: queryFile, queries: queries, labelled: isLast ? labelled : nil)
            runs.append(run)
        }
        try report(runs, queries: queries, labelled: labelled, totalSeconds: seconds(since: started))
    }

    /// Import, index build, child serve, FTS5 build and queries at one size.
    func measure(_ run: inout SizeRun, queryFile: String, queries: [String], labelled: [(query: String, expected: String)]?)
        throws
    {
        guard FileManager.default.fileExists(atPath: run.file) else { throw BenchFailure("missing \(run.file)") }
        run.lines = try countLines(run.file)
        let dir = work + "/size-\(run.label)"
        let home = dir + "/home"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        progress("\(run.label): importing \(thousands(run.lines)) lines")
        try build(&run, home: home)

        progress("\(run.label): child process: start-up and \(queries.count) queries")
        let reportPath = dir + "/serve.json"
        var arguments = ["serve", "--home", home, "--queries", queryFile, "--report", reportPath]
        if labelled != nil { arguments += ["--quality", qualityPath] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try selfExecutable())
        run.load = loadAverage().split(separator: " ").first.map(String.init) ?? ""
        let spawnedAt = monotonicNanos()
        process.arguments = arguments + ["--spawned-at", String(spawnedAt)]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("the serve child failed with status \(process.terminationStatus)")
        }
        run.serve = try JSONDecoder().decode(ServeReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
        run.indexFileBytes = fileSize(home + "/registry.index")
        run.databaseBytes = databaseSize(home + "/registry.sqlite")

        progress("\(run.label): FTS5 reference: build and \(queries.count) queries")
        let fts = try FTS5Reference(path: dir + "/fts5.sqlite", registryPath: home + "/registry.sqlite")
        run.ftsBuildSeconds = fts.buildSeconds
        run.ftsRows = fts.rowCount
        run.ftsBytes = databaseSize(fts.path)
        (run.ftsMs, run.ftsIDs) = try fts.run(queries)
        if let labelled {
            (run.ftsQualityMs, run.ftsQualityIDs) = try fts.run(labelled.map(\.query))
        }
        if !keepFTS5 {
            try? FileManager.default.removeItem(atPath: dir + "/fts5.sqlite")
        }
    }

    /// A fresh home: the service opened once (starter tools synced), then the index file imported into the
    /// store (timed) and the search index built and saved (timed).
    func build(_ run: inout SizeRun, home: String) throws {
        let service = try RegistryService(configuration: RuntimeConfiguration(home: OmegaHome(root: home)))
        _ = try service.registry()  // the starter tools, an empty base index

        var t = monotonicNanos()
        run.imported = try service.store.importIndex(file: run.file)
        run.importSeconds = seconds(since: t)

        t = monotonicNanos()
        let registry = try ToolRegistry(
            store: service.store, indexPath: RegistryService.indexPath(OmegaHome(root: home)), yankList: YankList())
        run.buildSeconds = seconds(since: t)
        run.buildSource = registry.opening.source.rawValue
        run.builtTools = registry.toolCount
    }

    func countLines(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchFailure("cannot read \(path)") }
        defer { try? handle.close() }
        var count = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
        }
        return count
    }

    func selfExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    // MARK: - Report

    func report(
        _ runs: [SizeRun], queries: [String], labelled: [(query: String, expected: String)], totalSeconds: Double
    ) throws {
        let largest = runs.last!

        var build = Table(
            "Import and index build (fresh home per size; DESIGN §8 JSON Lines, one transaction)",
            ["size", "lines", "added", "skipped", "import s", "rows/s", "index build s", "source", "searchable",
             "index MiB", "db MiB", "FTS5 build s", "FTS5 rows", "FTS5 MiB"])
        for run in runs {
            build.add([
                run.label, thousands(run.lines), thousands(run.imported.added), thousands(run.imported.skipped),
                fmt(run.importSeconds, 1), thousands(Int(Double(run.lines) / max(run.importSeconds, 1e-9))),
                fmt(run.buildSeconds, 1), run.buildSource, thousands(run.builtTools), mib(run.indexFileBytes),
                mib(run.databaseBytes), fmt(run.ftsBuildSeconds, 1), thousands(run.ftsRows), mib(run.ftsBytes),
            ])
        }
        build.notes = [
            "import = store.importIndex (parse + upsert, one transaction); index build = ToolRegistry rebuild from "
                + "the store + save (`registry.index`).",
            "searchable = tools in the search (one row per id: the newest version) incl. the 8 starter tools; "
                + "FTS5 holds the same rows.",
        ]
        say(build.render())

        var startup = Table(
            "Start-up in a child process on the built home (process spawn → first answer; must LOAD the index)",
            ["size", "index", "spawn→main s", "service init s", "first search s", "of which open s",
             "spawn→answer s", "RSS after 1st MiB", "VmHWM MiB", "VmRSS MiB", "index in mem MiB"])
        for run in runs {
            let s = run.serve!
            startup.add([
                run.label, s.indexSource, fmt(s.spawnToMainSeconds, 3), fmt(s.serviceInitSeconds, 3),
                fmt(s.firstSearchSeconds, 3), fmt(s.openSeconds, 3), fmt(s.firstAnswerSeconds, 3),
                mibFromKiB(s.rssAfterFirstKiB), mibFromKiB(s.hwmKiB), mibFromKiB(s.rssKiB),
                mib(Int64(s.indexBytesInMemory)),
            ])
        }
        startup.notes = [
            "first query: \"\(queries[0])\"; VmHWM/VmRSS from /proc/self/status after the first pass of all the queries.",
        ]
        say(startup.render())

        var latency = Table(
            "Query latency, ms (\(queries.count) queries of 1-6 words, limit 10) — ours (RegistryService.search) vs "
                + "SQLite FTS5 bm25()",
            ["size", "ours p50", "ours p90", "ours p99", "ours max", "FTS5 p50", "FTS5 p90", "FTS5 p99", "FTS5 max",
             "FTS5/ours p50", "FTS5/ours p99", "ours 0 hits", "FTS5 0 hits", "load"])
        for run in runs {
            let ours = Latency(run.serve.service)
            let fts = Latency(run.ftsMs)
            latency.add([
                run.label, fmt(ours.p50, 3), fmt(ours.p90, 3), fmt(ours.p99, 3), fmt(ours.max, 3), fmt(fts.p50, 3),
                fmt(fts.p90, 3), fmt(fts.p99, 3), fmt(fts.max, 3), fmt(fts.p50 / ours.p50, 1) + "x",
                fmt(fts.p99 / ours.p99, 1) + "x", String(run.serve.hitCounts.filter { $0 == 0 }.count),
                String(run.ftsIDs.filter(\.isEmpty).count), run.load,
            ])
        }
        if runs.count > 1 {
            let a = Latency(runs.first!.serve.service)
            let b = Latency(largest.serve.service)
            let fa = Latency(runs.first!.ftsMs)
            let fb = Latency(largest.ftsMs)
            latency.notes.append(
                "growth \(runs.first!.label) → \(largest.label): ours p50 ×\(fmt(b.p50 / a.p50, 1)), p99 ×"
                    + "\(fmt(b.p99 / a.p99, 1)); FTS5 p50 ×\(fmt(fb.p50 / fa.p50, 1)), p99 ×\(fmt(fb.p99 / fa.p99, 1))")
        }
        latency.notes.append(
            "load = the 1-minute load average when the child started (2 CPUs). FTS5: the query's [A-Za-z0-9]+ words, each quoted, joined with OR; "
                + "SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10 (unicode61).")
        say(latency.render())

        var layers = Table(
            "Where a search's time goes, ms — per query the layers run interleaved (rotating order) in the child",
            ["size", "layer", "p50", "p90", "p99", "max", "mean"])
        for run in runs {
            let s = run.serve!
            let rows: [(String, [Double])] = [
                ("a. index only (SearchIndex.search)", s.indexOnly),
                ("a'. index, filter with empty excluded set", s.indexExcludedMs),
                ("b. 10 entries read (store.entries)", s.entriesMs),
                ("c. engine (ToolRegistry.search)", s.engine),
                ("d. service (RegistryService.search)", s.serviceSecondPass),
                ("e. RegistryService.pins() alone", s.pinsMs),
            ]
            for (name, sample) in rows {
                let l = Latency(sample)
                layers.add([run.label, name, fmt(l.p50, 3), fmt(l.p90, 3), fmt(l.p99, 3), fmt(l.max, 3), fmt(l.mean, 3)])
            }
            let mean = { (sample: [Double]) in Latency(sample).mean }
            layers.add([
                run.label, "   c - a - b (local index, merge, ...)", "", "", "", "",
                fmt(mean(s.engine) - mean(s.indexOnly) - mean(s.entriesMs), 3),
            ])
            layers.add([run.label, "   d - c (service on top of the engine)", "", "", "", "",
                        fmt(mean(s.serviceSecondPass) - mean(s.engine), 3)])
        }
        layers.notes = [
            "a = ranking in the base index (a second copy, loaded after the memory reading); a' = the same with the",
            "    filter ToolRegistry gives the base (an `excluded` Bitset of the shadowed documents, here empty);",
            "b = the store reading and decoding the 10 entries of a's hits (SQLite by row id, JSON document decoded);",
            "c = a + the local (starter) index, merge, b; d = c + query/filter checks, pins (policy files parsed, the",
            "    user's pins read from the store), vault check, results; e = what d spends on pins alone.",
        ]
        say(layers.render())

        // Quality at the largest size.
        let labels = labelled.map(\.expected)
        let oursQ = Quality(labels, largest.serve.qualityTop)
        let ftsQ = Quality(labels, largest.ftsQualityIDs)
        let starterIDs = starterToolIDs()
        var quality = Table(
            "Search quality at \(largest.label) (\(labelled.count) labelled queries, \(qualityPath))",
            ["ranking", "subset", "queries", "recall@5", "recall@10", "MRR@10", "p50 ms", "max ms"])
        for (name, ranked, ms) in [
            ("ours (service)", largest.serve.qualityTop, largest.serve.qualityMs),
            ("FTS5 bm25()", largest.ftsQualityIDs, largest.ftsQualityMs),
        ] {
            let all = Quality(labels, ranked)
            let l = Latency(ms)
            quality.add([name, "all", String(all.count), fmt(all.recall5, 3), fmt(all.recall10, 3), fmt(all.mrr, 3),
                         fmt(l.p50, 3), fmt(l.max, 3)])
            for (subset, isStarter) in [("starter tools", true), ("corpus targets", false)] {
                let pairs = zip(labels, ranked).filter { starterIDs.contains($0.0) == isStarter }
                let q = Quality(pairs.map(\.0), pairs.map(\.1))
                quality.add([name, subset, String(q.count), fmt(q.recall5, 3), fmt(q.recall10, 3), fmt(q.mrr, 3), "", ""])
            }
        }
        let absent = try absentExpected(labels, home: work + "/size-\(largest.label)/home")
        if !absent.isEmpty {
            quality.notes.append("WARNING: \(absent.count) expected ids are not in this registry: "
                + absent.prefix(8).joined(separator: ", "))
        }
        quality.notes.append("MRR@10: reciprocal rank of the expected id in the top 10 (0 when absent).")
        say(quality.render())

        // Samples at the largest size.
        var picks = [0]
        if let two = queries.indices.first(where: { queries[$0].split(separator: " ").count == 2 }) { picks.append(two) }
        if let four = queries.indices.first(where: { queries[$0].split(separator: " ").count >= 4 && $0 != 0 }) {
            picks.append(four)
        }
        var samples = Table("Sample queries at \(largest.label): top 3", ["query", "ours ms", "ours top 3", "FTS5 top 3"])
        for i in picks {
            samples.add([
                "\"\(queries[i])\"", fmt(largest.serve.service[i], 3),
                largest.serve.top3[i].joined(separator: ", "), largest.ftsIDs[i].prefix(3).joined(separator: ", "),
            ])
        }
        say(samples.render())

        var slow = Table(
            "The 5 slowest queries at \(largest.label) (service, 1st pass), ms",
            ["query", "words", "service", "service again", "engine", "index only", "FTS5", "hits"])
        let order = largest.serve.service.indices.sorted { largest.serve.service[$0] > largest.serve.service[$1] }
        for i in order.prefix(5) {
            let s = largest.serve!
            slow.add([
                "\"\(queries[i])\"", String(queries[i].split(separator: " ").count), fmt(s.service[i], 3),
                fmt(s.serviceSecondPass[i], 3), fmt(s.engine[i], 3),
                i < s.indexOnly.count ? fmt(s.indexOnly[i], 3) : "-", fmt(largest.ftsMs[i], 3), String(s.hitCounts[i]),
            ])
        }
        say(slow.render())

        // Targets, at the largest size.
        let l = Latency(largest.serve.service)
        let s = largest.serve!
        let importTotal = largest.importSeconds + largest.buildSeconds
        func verdict(_ ok: Bool) -> String { ok ? "PASS" : "FAIL" }
        let checks: [(String, Bool)] = [
            ("p99 \(fmt(l.p99, 2)) ms <= 20 ms", l.p99 <= 20),
            ("p50 \(fmt(l.p50, 2)) ms <= 2 ms", l.p50 <= 2),
            ("start-up \(fmt(s.firstAnswerSeconds, 2)) s <= 2 s (index \(s.indexSource))",
             s.firstAnswerSeconds <= 2 && s.indexSource == "loaded"),
            ("memory VmHWM \(mibFromKiB(s.hwmKiB)) MiB <= 1024 MiB", s.hwmKiB <= 1024 * 1024),
            ("import+index \(fmt(importTotal, 1)) s <= 120 s (import \(fmt(largest.importSeconds, 1)) s)",
             importTotal <= 120),
        ]
        say("")
        say("run time \(fmt(totalSeconds, 0)) s, load average at the end \(loadAverage()) (this process: import, index build, FTS5; child: serving)")
        say("SUMMARY at \(largest.label) (\(thousands(s.toolCount)) tools): "
            + checks.map { "\(verdict($0.1)) \($0.0)" }.joined(separator: "; ")
            + "; quality MRR ours \(fmt(oursQ.mrr, 3)) vs FTS5 \(fmt(ftsQ.mrr, 3)), recall@5 \(fmt(oursQ.recall5, 3)) "
            + "vs \(fmt(ftsQ.recall5, 3)); FTS5/ours p50 \(fmt(Latency(largest.ftsMs).p50 / l.p50, 1))x, "
            + "p99 \(fmt(Latency(largest.ftsMs).p99 / l.p99, 1))x")
    }

    /// /proc/loadavg's first three fields (other work on this 2-CPU machine skews every figure).
    func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Ids of the starter manifests.
    func starterToolIDs() -> Set<String> {
        var ids = Set<String>()
        let root = URL(fileURLWithPath: manifests).standardizedFileURL.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let data = FileManager.default.contents(atPath: root + "/" + name + "/omega.json"),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            ids.insert(id)
        }
        return ids
    }

    /// Labelled ids the registry at `home` does not hold.
    func absentExpected(_ ids: [String], home: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: home + "/registry.sqlite") else { return [] }
        let store = try SQLiteRegistryStore(path: home + "/registry.sqlite")
        return try Set(ids).sorted().filter { try store.entry(id: $0) == nil }
    }
}
