// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "omega-exec",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "omega-exec", targets: ["omega-exec"]),
        .executable(name: "omega-exec-suite", targets: ["omega-exec-suite"]),
        .executable(name: "omega-jail-init", targets: ["omega-jail-init"]),
        .library(name: "Jail", targets: ["Jail"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: *-dev packages).
        .systemLibrary(
            name: "CSeccomp", pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(
            name: "CCap", pkgConfig: "libcap",
            providers: [.apt(["libcap-dev"])]),
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),

        // The only code that runs between clone and execve: async-signal-safe C.
        .target(name: "CJail"),

        // Namespaces, seccomp, cgroups, supervision.
        .target(name: "Jail", dependencies: ["CJail", "CSeccomp", "CCap"]),
        // Manifests, schemas, policy, packages.
        .target(
            name: "Manifest",
            dependencies: ["CArchive", .product(name: "Crypto", package: "swift-crypto")]),
        // The pipeline and the run store.
        .target(
            name: "Executor",
            dependencies: [
                "Jail", "Manifest",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Planning, approvals, JSON-RPC.
        .target(name: "AgentHost", dependencies: ["Executor"]),

        // The jail's command-line glue, shared by the two executables below.
        .target(name: "JailCLI", dependencies: ["Jail"]),
        // `omega-exec`: runs `jail` itself (lean: no dependency of any other command) and executes
        // `omega-exec-suite` beside it for everything else.
        .executableTarget(
            name: "omega-exec",
            dependencies: ["Jail", "JailCLI"],
            path: "Sources/omega-exec-front"),
        // Every command, through swift-argument-parser.
        .executableTarget(
            name: "omega-exec-suite",
            dependencies: [
                "Jail",
                "JailCLI",
                "Manifest",
                "Executor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/omega-exec"),
        // pid 1 of every jail: a tiny static C program (fast to execute, nothing of the supervisor).
        .executableTarget(
            name: "omega-jail-init",
            dependencies: ["CJail"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .executableTarget(
            name: "schema-bench",
            dependencies: ["Manifest"],
            path: "Benchmarks/schema-bench"),
        .executableTarget(
            name: "pipeline-bench",
            dependencies: ["Executor", "Jail", "Manifest"],
            path: "Benchmarks/pipeline-bench"),
        .executableTarget(
            name: "omega-bench",
            dependencies: ["Jail"],
            path: "Benchmarks/omega-bench"),

        .testTarget(name: "JailTests", dependencies: ["Jail"], exclude: ["Fixtures"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest"], exclude: ["Fixtures"]),
        .testTarget(name: "ExecutorTests", dependencies: ["Executor"]),
        // Runs the official JSON-Schema-Test-Suite from ../shared (skips, saying so, when absent).
        .testTarget(name: "SchemaConformanceTests", dependencies: ["Manifest"]),
    ],
    swiftLanguageModes: [.v6]
)
