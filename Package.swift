// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "fta",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "BatchKit", targets: ["BatchKit"]),
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
        // libcurl's headers plus typed, non-variadic wrappers for setopt/getinfo.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("z")]
        ),
        // Process-wide SQLite settings made before the first connection (sqlite3_config is variadic).
        .target(
            name: "CSQLiteSetup",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "BatchKit",
            dependencies: [
                "CCurl",
                "CSQLiteSetup",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Stencil", package: "Stencil"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "fta-tick", dependencies: ["BatchKit"]),
        .executableTarget(name: "fta-sync", dependencies: ["BatchKit"]),
        .executableTarget(name: "fta-rota", dependencies: ["BatchKit"]),
        .executableTarget(name: "fta-replay", dependencies: ["BatchKit"]),
        // Benchmark driver used by `make bench`; not installed.
        .executableTarget(name: "fta-bench", dependencies: ["BatchKit"], path: "bench/Sources/fta-bench"),
        .target(name: "FTATestSupport", dependencies: ["BatchKit", .product(name: "GRDB", package: "GRDB.swift")], path: "Tests/Support",
                exclude: ["receiver.py", "smtp_server.py", "es_fixture.py", "bk_fixture.py"]),
        .testTarget(name: "BatchKitTests", dependencies: ["BatchKit", "FTATestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "EndToEndTests", dependencies: ["BatchKit", "FTATestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)
