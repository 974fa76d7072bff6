// swift-tools-version:6.1
import PackageDescription

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The migration files under Migrations/, embedded in the binary so a copied binary still migrates. Listed by name
/// (SwiftPM caches the evaluated manifest, so a listing computed here would miss new files); `MigrationsTests`
/// checks that this list, the folder and `Migrations.swift` agree.
let migrations: [Resource] = [
    "catalog/catalog_0001_initial.sql",
    "catalog/catalog_0002_delete_retention.sql",
    "catalog/catalog_0003_producer_ids.sql",
    "catalog/catalog_0004_topic_ids.sql",
    "catalog/catalog_0005_commit_log.sql",
    "catalog/catalog_0006_share_groups.sql",
    "topic/topic_0001_initial.sql",
    "topic/topic_0002_compaction.sql",
    "topic/topic_0003_producer_state.sql",
    "topic/topic_0004_share_state.sql",
].map { .embedInCode("Migrations/\($0)") }

/// Whether to build `sluice-mirror`, the one part of Sluice that needs librdkafka's development files: by default
/// when `librdkafka/rdkafka.h` is in a usual include folder (or one named in `CPATH`/`C_INCLUDE_PATH`), so a machine
/// without them still builds and tests everything else (the mirror's tests then skip, saying why). `SLUICE_MIRROR=1`
/// or `0` decides instead. SwiftPM caches the evaluated manifest keyed on its text and environment, not on the
/// header: `Scripts/test` sets `SLUICE_MIRROR` after it installed librdkafka, so that the new header is seen.
let buildMirror: Bool = {
    switch Context.environment["SLUICE_MIRROR"] {
    case "1": return true
    case "0": return false
    default:
        let listed = ["CPATH", "C_INCLUDE_PATH"].flatMap { (Context.environment[$0] ?? "").split(separator: ":") }
        let folders = listed.map(String.init) + ["/usr/include", "/usr/local/include", "/opt/homebrew/include"]
        return folders.contains { FileManager.default.fileExists(atPath: "\($0)/librdkafka/rdkafka.h") }
    }
}()

var swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
// CI (`.ci/run`) builds the project's own targets with warnings as errors; the dependencies are not affected.
if Context.environment["SLUICE_WARNINGS_AS_ERRORS"] == "1" {
    swiftSettings.append(.unsafeFlags(["-warnings-as-errors"]))
}

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .executable(name: "sluice-bench", targets: ["sluice-bench"]),
        .library(name: "SluiceClient", targets: ["SluiceClient"]),
    ] + (buildMirror ? [.executable(name: "sluice-mirror", targets: ["sluice-mirror"])] : []),
    // `TLS` serves TLS on the Kafka listener through swift-nio-ssl (BoringSSL, compiled from source: a longer clean
    // build); off by default so that `swift build` needs nothing but SQLite's development files.
    traits: [
        .trait(name: "TLS", description: "TLS on the Kafka listener (kafka_tls_certificate, kafka_tls_key)")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // zlib, libzstd and liblz4 are opened at run time (dlopen): building needs none of their headers, and a
        // machine without one answers its codec UNSUPPORTED_COMPRESSION_TYPE.
        .target(
            name: "CCodecs",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        .target(
            name: "SluiceKafka",
            dependencies: [
                "SluiceCore",
                "CCodecs",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceCore",
            swiftSettings: swiftSettings
        ),
        // SHA-256, SHA-512, HMAC and PBKDF2: backup checksums and SASL SCRAM, with no cryptography library.
        .target(
            name: "SluiceCrypto",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceStorage",
            dependencies: [
                "CSQLite",
                "SluiceCore",
                "SluiceCrypto",
            ],
            exclude: ["Migrations"],
            resources: migrations,
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceProtocol",
            dependencies: [
                "SluiceCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceBroker",
            dependencies: [
                "SluiceCore",
                "SluiceStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceCore",
                "SluiceCrypto",
                "SluiceProtocol",
                "SluiceBroker",
                "SluiceKafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["TLS"])),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceClient",
            dependencies: [
                "SluiceCore",
                "SluiceProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the command-line executables share: the socket's location, output, JSON text, signals.
        .target(
            name: "SluiceCommandLine",
            dependencies: [
                "SluiceCore",
                "SluiceClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore",
                "SluiceStorage",
                "SluiceProtocol",
                "SluiceBroker",
                "SluiceServer",
                "SluiceClient",
                "SluiceCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The bench, with its own executable (`sluice bench` runs it), so that only sluice-bench links the HDR
        // histogram.
        .target(
            name: "SluiceBench",
            dependencies: [
                "SluiceCore",
                "SluiceProtocol",
                "SluiceClient",
                "SluiceCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "SluiceBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice-dev",
            dependencies: ["SluiceCore", "SluiceStorage", "SluiceBroker"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceCoreTests",
            dependencies: ["SluiceCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceCryptoTests",
            dependencies: ["SluiceCrypto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceStorageTests",
            dependencies: ["SluiceStorage", "SluiceCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceBrokerTests",
            dependencies: ["SluiceBroker", "SluiceCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceServerTests",
            dependencies: [
                "SluiceServer", "SluiceBroker", "SluiceCore", "SluiceProtocol", "SluiceKafka", "SluiceCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceClientTests",
            dependencies: [
                "SluiceClient", "SluiceCore", "SluiceProtocol", "SluiceServer", "SluiceBroker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceIntegrationTests",
            dependencies: [
                "SluiceClient", "SluiceProtocol", "SluiceCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["KafkaClients"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceKafkaTests",
            dependencies: [
                "SluiceKafka", "SluiceCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceProtocolTests",
            dependencies: [
                "SluiceProtocol", "SluiceCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// Its own library and executable, so that only sluice-mirror links librdkafka: `sluice serve` stays lean.
if buildMirror {
    package.targets += [
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "SluiceMirror",
            dependencies: ["CRdKafka", "SluiceCore", "SluiceClient"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice-mirror",
            dependencies: [
                "SluiceMirror",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceMirrorTests",
            dependencies: ["SluiceMirror", "SluiceCore"],
            swiftSettings: swiftSettings
        ),
    ]
}
