// swift-tools-version:6.0
import PackageDescription

// One target per layer (docs/architecture.md): an import the layering does not allow does not
// compile. Everything shared between targets is `package`; nothing is exported beyond the
// package, so there is no library product.
let libraryTargets: [Target.Dependency] = ["FTACore", "FTATemplates", "FTAConfig", "FTAStore", "FTAPostgres", "FTATransport", "FTAActions", "FTAPasses", "FTACommand"]
let commandDependencies: [Target.Dependency] = libraryTargets + [
    .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "fta",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fta-tick", targets: ["fta-tick"]),
        .executable(name: "fta-sync", targets: ["fta-sync"]),
        .executable(name: "fta-rota", targets: ["fta-rota"]),
        .executable(name: "fta-replay", targets: ["fta-replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/stencilproject/Stencil", from: "0.15.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The model and the rules: values in, values out. Foundation's value types only: no
        // database, no network, no clock, no file system, no logging.
        .target(name: "FTACore"),
        // Jinja-syntax templates over Stencil, with fta's bounded loops and filters.
        .target(name: "FTATemplates", dependencies: ["FTACore", .product(name: "Stencil", package: "Stencil")]),
        // The YAML config file, read into settings values.
        .target(name: "FTAConfig", dependencies: ["FTACore", "FTATemplates", .product(name: "Yams", package: "Yams")]),
        // All SQL: the SQLite store behind the core's store protocols.
        .target(name: "FTAStore", dependencies: [
            "FTACore", "CSQLiteSetup",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The PostgreSQL store behind the same protocols, over libpq (several hosts, one database).
        .target(name: "FTAPostgres", dependencies: ["FTACore", "CLibPQ"]),
        // The outside world: HTTP and SMTP over libcurl, Redis, processes, input files, the clock, signals.
        .target(name: "FTATransport", dependencies: ["FTACore", "CCurl"]),
        // Processors (one per action kind) and notice channels.
        .target(name: "FTAActions", dependencies: ["FTACore", "FTATemplates", "FTATransport", "FTAConfig"]),
        // The passes: tick, sync, rota, replay, enqueue, ingest. They see the store through its protocols.
        .target(name: "FTAPasses", dependencies: [
            "FTACore", "FTATemplates", "FTATransport", "FTAConfig", "FTAActions", .product(name: "Logging", package: "swift-log"),
        ]),
        // What the four executables share: flags, exit codes, output, logging, opening the store.
        .target(name: "FTACommand", dependencies: [
            "FTACore", "FTAConfig", "FTAStore", "FTAPostgres", "FTATransport", "FTAActions", "FTAPasses",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
        ]),
        // libcurl's headers plus typed, non-variadic wrappers for setopt/getinfo.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("z")]),
        // PostgreSQL's client library from Debian (libpq-dev).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Process-wide SQLite settings made before the first connection (sqlite3_config is variadic).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .executableTarget(name: "fta-tick", dependencies: commandDependencies),
        .executableTarget(name: "fta-sync", dependencies: commandDependencies),
        .executableTarget(name: "fta-rota", dependencies: commandDependencies),
        .executableTarget(name: "fta-replay", dependencies: commandDependencies),
        // Benchmark driver used by `make bench`; not installed.
        .executableTarget(name: "fta-bench", dependencies: commandDependencies, path: "bench/Sources/fta-bench"),
        .target(name: "FTATestSupport", dependencies: ["FTACore", "FTATransport", "FTAPostgres", .product(name: "GRDB", package: "GRDB.swift")], path: "Tests/Support",
                exclude: ["receiver.py", "smtp_server.py", "es_fixture.py", "bk_fixture.py", "jinja_expected.py", "jinja_expected.json",
                          "original_expected.py", "original_expected.json"]),
        .testTarget(name: "UnitTests", dependencies: libraryTargets + ["FTATestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "EndToEndTests", dependencies: libraryTargets + ["FTATestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)
