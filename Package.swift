// swift-tools-version:6.0
// saex: a terminal explorer for sparse-autoencoder features.
// Dependencies run one way: saex -> ExplorerUI -> SAEKit. Only the ncurses backend imports CNcursesw.
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
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .systemLibrary(name: "CSystemZlib", path: "Sources/CSystemZlib"),
        // glibc's vector math library (libmvec) for bulk exp in the cosine encoder.
        .target(name: "CVecMath", linkerSettings: [.linkedLibrary("mvec", .when(platforms: [.linux])), .linkedLibrary("m")]),
        .target(
            name: "SAEKit",
            dependencies: ["CBLAS", "CSystemZlib", "CVecMath", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "ExplorerUI", dependencies: ["SAEKit", "CNcursesw"]),
        .executableTarget(
            name: "saex",
            dependencies: ["SAEKit", "ExplorerUI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "saex-bench", dependencies: ["SAEKit", "CBLAS"], path: "Sources/saex-bench"),
        .executableTarget(name: "saex-ui-bench", dependencies: ["ExplorerUI", "SAEKit"], path: "Sources/saex-ui-bench"),
        // Child process for the labels durability (SIGKILL) test; not a product.
        .executableTarget(name: "saex-label-writer-testhelper", dependencies: ["SAEKit"]),
        // Analysis benchmark (bench/analysis/run.sh); not a test.
        .executableTarget(name: "saex-bench-analysis", dependencies: ["SAEKit", "CBLAS"], path: "Sources/saex-bench-analysis"),
        // libFuzzer target for the safetensors and .npy parsers; build and run it with scripts/fuzz.sh.
        // A normal build makes a plain executable that replays input files (see FormatsFuzzMain.swift).
        .executableTarget(name: "saex-fuzz-formats", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/SAEKitFuzz"),
        // The other fuzz targets (issue 8), built and run the same way; shared checks in SAEKitFuzzSupport.
        .target(name: "SAEKitFuzzSupport", dependencies: ["SAEKit"], path: "Sources/Fuzz/Support"),
        .executableTarget(name: "saex-fuzz-config", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/Config"),
        .executableTarget(name: "saex-fuzz-cache", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/Cache"),
        .executableTarget(name: "saex-fuzz-labels", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/Labels"),
        .executableTarget(name: "saex-fuzz-neuronpedia", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/Neuronpedia"),
        .executableTarget(name: "saex-fuzz-saedashboard", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/SAEDashboard"),
        .executableTarget(name: "saex-fuzz-delphi", dependencies: ["SAEKit", "SAEKitFuzzSupport"], path: "Sources/Fuzz/Delphi"),
        .testTarget(name: "SAEKitTests", dependencies: ["SAEKit"], exclude: ["Analysis/Fixtures", "Formats/Fixtures", "Import/Fixtures"]),
        .testTarget(name: "ExplorerUITests", dependencies: ["ExplorerUI", "SAEKit"], exclude: ["Snapshots"]),
        .testTarget(name: "saexTests", dependencies: ["SAEKit"], exclude: ["Malformed"]),
    ],
    swiftLanguageModes: [.v6]
)
