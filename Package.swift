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
        .target(
            name: "SAEKit",
            dependencies: ["CBLAS", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "ExplorerUI", dependencies: ["SAEKit", "CNcursesw"]),
        .executableTarget(
            name: "saex",
            dependencies: ["SAEKit", "ExplorerUI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // libFuzzer target for the safetensors and .npy parsers; build and run it with scripts/fuzz.sh.
        // A normal build makes a plain executable that replays input files (see FormatsFuzzMain.swift).
        .executableTarget(name: "saex-fuzz-formats", dependencies: ["SAEKit"], path: "Sources/SAEKitFuzz"),
        .testTarget(name: "SAEKitTests", dependencies: ["SAEKit"]),
        .testTarget(name: "ExplorerUITests", dependencies: ["ExplorerUI", "SAEKit"]),
        .testTarget(name: "saexTests", dependencies: ["SAEKit"]),
    ],
    swiftLanguageModes: [.v6]
)
