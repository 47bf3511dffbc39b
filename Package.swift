// swift-tools-version:6.0
// saex: a terminal explorer for sparse-autoencoder features.
// Dependencies run one way: saex -> ExplorerUI -> SAEKit. Only ExplorerUI/Terminal imports CNcursesw
// (Tests/saexTests/LayeringTests.swift checks both).
import PackageDescription

let package = Package(
    name: "saex",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "saex", targets: ["saex"]),
        .library(name: "SAEKit", targets: ["SAEKit"]),
        .library(name: "ExplorerUI", targets: ["ExplorerUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // System libraries (thin shims, nothing else).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .systemLibrary(name: "CSystemZlib", path: "Sources/CSystemZlib"),
        // glibc's vector math library (libmvec) for bulk exp in the cosine encoder.
        .target(name: "CVecMath", linkerSettings: [.linkedLibrary("mvec", .when(platforms: [.linux])), .linkedLibrary("m")]),
        // Async-signal-safe registries: temporary files removed on a fatal signal, mapped files guarded against SIGBUS.
        .target(name: "CSignals"),

        // The product: libraries hold the logic, the executable is thin.
        .target(
            name: "SAEKit",
            dependencies: ["CBLAS", "CSignals", "CSystemZlib", "CVecMath", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "ExplorerUI", dependencies: ["SAEKit", "CNcursesw"]),
        .executableTarget(
            name: "saex",
            dependencies: ["SAEKit", "ExplorerUI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Not products. Benchmarks (bench/run_all.sh): one executable with a subcommand per benchmark.
        .executableTarget(name: "saex-bench", dependencies: ["SAEKit", "ExplorerUI", "SAEKitTestSupport", "CBLAS"]),
        // libFuzzer targets (scripts/fuzz.sh TARGET SECONDS); a normal build makes a replay executable.
        .executableTarget(name: "saex-fuzz", dependencies: ["SAEKit"], path: "Sources/Fuzz"),
        // Test doubles shared by the tests and the UI benchmark.
        .target(name: "SAEKitTestSupport", dependencies: ["SAEKit"], path: "Tests/Support"),
        // Child process of the labels durability (SIGKILL) test.
        .executableTarget(name: "saex-label-writer-testhelper", dependencies: ["SAEKit"], path: "Tests/LabelWriter"),
        .testTarget(name: "SAEKitTests", dependencies: ["SAEKit"], exclude: ["Analysis/Fixtures", "Formats/Fixtures", "Import/Fixtures"]),
        .testTarget(name: "ExplorerUITests", dependencies: ["ExplorerUI", "SAEKit", "SAEKitTestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "saexTests", dependencies: ["SAEKit", "ExplorerUI"], exclude: ["Malformed"]),
    ],
    swiftLanguageModes: [.v6]
)
