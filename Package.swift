// swift-tools-version: 6.1
import PackageDescription

// Modules by job, one straight dependency line (docs/ARCHITECTURE.md):
//   surfaces (omega-exec, JailCLI) → Service → ToolRuntime
//     → {Jail, ToolPackage, Schema, Policy, Credentials, RunStorage} → {JSON, SystemCalls}
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
    name: "omega-exec",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "omega-exec", targets: ["omega-exec"]),
        .executable(name: "omega-exec-suite", targets: ["omega-exec-suite"]),
        .executable(name: "omega-jail-init", targets: ["omega-jail-init"]),
        .library(name: "Jail", targets: ["Jail"]),
        .library(name: "Service", targets: ["Service"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
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
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // The bottom: JSON (value, parser, writers, pointer, canonical form) and the one system-call
        // layer (EINTR retries, a typed errno error).
        .target(name: "JSON"),
        .target(name: "CSystemCalls"),
        .target(name: "SystemCalls", dependencies: ["CSystemCalls"]),

        // The jail's C: the async-signal-safe child code (clone → execve) and the threaded spawner
        // and network-namespace pool, in separate files.
        .target(name: "CJail"),

        // Leaves.
        .target(name: "Jail", dependencies: ["CJail", "CSeccomp", "CCap", "JSON", "SystemCalls"]),
        .target(name: "Schema", dependencies: ["JSON"]),
        .target(name: "ToolPackage", dependencies: ["JSON", "Schema", "SystemCalls", "Egress", "CArchive", crypto]),
        .target(name: "Policy", dependencies: ["JSON", "Egress", crypto]),
        // The in-memory BM25F index and its query engine (MaxScore with block maxima); knows nothing of tools.
        .target(name: "Search", dependencies: ["SystemCalls"]),
        .target(name: "Credentials", dependencies: ["JSON", "SystemCalls", crypto]),
        // Who may call: API keys (hashed at rest) and the ledger of used MCP request states.
        .target(
            name: "Access",
            dependencies: ["JSON", "SystemCalls", crypto, .product(name: "GRDB", package: "GRDB.swift")]),
        // The append-only, hash-chained audit log (`<home>/audit/audit.jsonl`, HMAC-SHA256 per record).
        .target(name: "Audit", dependencies: ["JSON", "SystemCalls", crypto]),
        .target(
            name: "RunStorage",
            dependencies: [
                "JSON", "Policy", "Credentials", "SystemCalls", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The registry's store (SQLite through GRDB) and index-file import (JSON Lines, .gz, .xz): gzip
        // through zlib (libarchive does not check a gzip member's CRC), every other compression through libarchive.
        .target(
            name: "Registry",
            dependencies: [
                "JSON", "ToolPackage", "Search", "SystemCalls", "CArchive", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                logging,
            ]),

        // The tool runtime: the pipeline, where manifests, policy, credentials, the store and the jail meet.
        .target(
            name: "ToolRuntime",
            dependencies: [
                "Jail", "ToolPackage", "Schema", "Policy", "Credentials", "RunStorage", "Egress", "EgressProxy", "JSON",
                "SystemCalls", crypto, logging,
            ]),
        // The service layer: the use cases every surface shares.
        .target(
            name: "Service",
            dependencies: [
                "ToolRuntime", "Registry", "Search", "Jail", "ToolPackage", "Schema", "Policy", "Credentials",
                "Access", "Audit", "RunStorage", "Egress", "EgressProxy", "JSON", "SystemCalls", logging,
            ]),
        // The agent host: our JSON-RPC 2.0 / MCP core (2026-07-28 and 2025-11-25), pauses with sealed
        // request states, and planning (ModelProvider, the offline planner). Transport-agnostic.
        .target(
            name: "AgentHost",
            dependencies: [
                "Service", "Access", "Registry", "ToolRuntime", "RunStorage", "Credentials", "ToolPackage", "Schema",
                "JSON", "SystemCalls", crypto, logging,
            ]),

        // Chat models behind one protocol (ChatModel): the OpenAI Chat Completions and Anthropic Messages
        // adapters, streamed with tool calls, over async-http-client.
        .target(
            name: "ModelAdapters",
            dependencies: [
                "AgentHost", "ToolRuntime", "JSON", logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),

        // The conversations' store (PRD data model: conversation, message, tool call, plan, credential
        // request, and each conversation's event stream), SQLite through GRDB.
        .target(
            name: "ConversationStorage",
            dependencies: ["JSON", "SystemCalls", .product(name: "GRDB", package: "GRDB.swift")]),
        // Conversations: the agent loop over a chat model, the pipeline and the registry (flows A–D).
        .target(
            name: "Conversations",
            dependencies: [
                "ConversationStorage", "ModelAdapters", "AgentHost", "Service", "ToolRuntime", "RunStorage",
                "Credentials", "JSON", logging,
            ]),

        // Surfaces.
        // The HTTP endpoint (`omega-exec serve`): MCP Streamable HTTP at /mcp and the credential page,
        // over Hummingbird; parsing and rendering only.
        .target(
            name: "Endpoint",
            dependencies: [
                "AgentHost", "Conversations", "ConversationStorage", "Access", "Audit", "Service", "ToolRuntime",
                "RunStorage", "Console", "JSON", logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Egress by host (DESIGN §11): host rules, and which resolved addresses the proxy may reach.
        .target(name: "Egress"),
        // The egress proxy (DESIGN §11): one per process, a Unix socket per run with its own grant; HTTP
        // CONNECT and plain HTTP forwarding over SwiftNIO, its own name resolution, caps and a record per
        // connection.
        .target(
            name: "EgressProxy",
            dependencies: [
                "Egress", logging, .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        // The web console's files (Sources/Console/Web, embedded by scripts/console-embed.sh).
        .target(name: "Console", dependencies: [crypto], exclude: ["Web"]),
        // The jail's command-line glue, shared by the two executables below.
        .target(name: "JailCLI", dependencies: ["Jail", "JSON"]),
        // `omega-exec`: runs `jail` itself (lean: no dependency of any other command) and executes
        // `omega-exec-suite` beside it for everything else.
        .executableTarget(
            name: "omega-exec",
            dependencies: ["Jail", "JailCLI"],
            path: "Sources/omega-exec-front"),
        // Every command, through swift-argument-parser: parsing and rendering over the service layer.
        .executableTarget(
            name: "omega-exec-suite",
            dependencies: [
                "Service", "AgentHost", "Endpoint", "Conversations", "ModelAdapters", "Access", "JailCLI", "Jail", "JSON",
                "Egress", "EgressProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                logging,
            ],
            path: "Sources/omega-exec"),
        // pid 1 of every jail: a tiny static C program (fast to execute, nothing of the supervisor).
        .executableTarget(
            name: "omega-jail-init",
            dependencies: ["CJail"],
            linkerSettings: [.unsafeFlags(["-static-executable"])]),

        .executableTarget(
            name: "schema-bench",
            dependencies: ["Schema", "JSON"],
            path: "Benchmarks/schema-bench"),
        .executableTarget(
            name: "pipeline-bench",
            dependencies: ["Service", "ToolRuntime", "RunStorage", "Jail", "JSON", "ToolPackage", "Schema", "Policy"],
            path: "Benchmarks/pipeline-bench"),
        .executableTarget(
            name: "mcp-bench",
            dependencies: ["AgentHost", "Service", "ToolRuntime", "JSON", logging],
            path: "Benchmarks/mcp-bench", exclude: ["stdio_http_client.py"]),
        .executableTarget(
            name: "endpoint-bench",
            dependencies: [
                "AgentHost", "Conversations", "Service", "Audit", "ToolRuntime", "JSON", logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/endpoint-bench"),
        .executableTarget(
            name: "registry-bench",
            dependencies: [
                "Registry", "Search", "Service", "ToolRuntime", "ToolPackage", "JSON",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/registry-bench/Sources"),
        // The registry store at scale: a generated index of a million tools, imported and scanned.
        .executableTarget(
            name: "registry-store-bench",
            dependencies: ["Registry", "JSON", "ToolPackage"],
            path: "Benchmarks/registry-store-bench"),
        // The egress proxy against direct requests (latency, throughput) and the jail's spawn with egress.
        .executableTarget(
            name: "egress-bench",
            dependencies: ["EgressProxy", "Egress", "Jail"],
            path: "Benchmarks/egress-bench", exclude: ["upstream.py"]),
        .executableTarget(
            name: "omega-bench",
            dependencies: ["Jail"],
            path: "Benchmarks/omega-bench"),

        // Tests: one target per module, one shared support target.
        .target(name: "TestSupport", dependencies: ["JSON", "Jail", "ToolPackage"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "EgressTests", dependencies: ["Egress"]),
        .testTarget(
            name: "EgressProxyTests",
            dependencies: [
                "EgressProxy", "Egress", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls", "TestSupport"]),
        .testTarget(name: "JailTests", dependencies: ["Jail", "JSON", "TestSupport"], exclude: ["Fixtures"]),
        // Includes the official JSON-Schema-Test-Suite from ../shared (skips, saying so, when absent).
        .testTarget(name: "SchemaTests", dependencies: ["Schema", "JSON", "TestSupport"]),
        .testTarget(
            name: "ToolPackageTests", dependencies: ["ToolPackage", "Schema", "JSON", "Egress", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "TestSupport"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Egress", "JSON", "TestSupport"]),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "JSON", "TestSupport"]),
        .testTarget(name: "AccessTests", dependencies: ["Access", "JSON", "TestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "JSON", "TestSupport"]),
        .testTarget(name: "RunStorageTests", dependencies: ["RunStorage", "Policy", "JSON", "TestSupport"]),
        .testTarget(
            name: "RegistryTests", dependencies: ["Registry", "JSON", "ToolPackage", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ToolRuntimeTests",
            dependencies: [
                "ToolRuntime", "RunStorage", "Credentials", "ToolPackage", "Policy", "Jail", "JSON", "TestSupport",
            ]),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["Service", "ToolRuntime", "RunStorage", "ToolPackage", "JSON", "TestSupport"]),
        .testTarget(
            name: "AgentHostTests",
            dependencies: [
                "AgentHost", "Service", "ToolRuntime", "Registry", "RunStorage", "Credentials", "JSON", "TestSupport",
            ]),
        .testTarget(
            name: "EndpointTests",
            dependencies: [
                "Endpoint", "AgentHost", "Conversations", "Access", "Audit", "Service", "ToolRuntime", "Credentials", "Console",
                "JSON", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(
            name: "ModelAdaptersTests",
            dependencies: [
                "ModelAdapters", "AgentHost", "ToolRuntime", "JSON", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "ConversationStorageTests", dependencies: ["ConversationStorage", "JSON", "TestSupport"]),
        .testTarget(
            name: "ConversationsTests",
            dependencies: [
                "Conversations", "ConversationStorage", "ModelAdapters", "AgentHost", "Service", "ToolRuntime",
                "RunStorage", "JSON", "TestSupport",
            ]),
        // End-to-end: the built binaries, run as a user would.
        .testTarget(
            name: "CLITests",
            dependencies: ["Service", "Audit", "RunStorage", "ToolPackage", "Credentials", "JSON", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
