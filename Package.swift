// swift-tools-version: 6.2
import PackageDescription

/// Orcastra: two Swift services (API and gateway) sharing a models library and a runtime.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Orcastra",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orcastra-api", targets: ["OrcastraAPI"]),
        .executable(name: "orcastra-gateway", targets: ["OrcastraGateway"]),
        .executable(name: "orcastra-devidp", targets: ["OrcastraDevIdP"]),
        .library(name: "OrcastraModels", targets: ["OrcastraModels"]),
        .library(name: "OrcastraRuntime", targets: ["OrcastraRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
    ],
    targets: [
        .target(
            name: "OrcastraModels",
            path: "Shared/Models",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OrcastraRuntime",
            dependencies: [
                "OrcastraModels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/Runtime",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OrcastraAPI",
            dependencies: [
                "OrcastraModels",
                "OrcastraRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            path: "Services/API",
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OrcastraGateway",
            dependencies: [
                "OrcastraModels",
                "OrcastraRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Services/Gateway",
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // `make bench`'s baseline: the framework alone (Tests/Bench/Hello).
        .executableTarget(
            name: "BenchHello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/Bench/Hello",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OrcastraDevIdP",
            dependencies: [
                "OrcastraModels",
                "OrcastraRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Services/DevIdP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OrcastraTestSupport",
            dependencies: [
                "OrcastraRuntime",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrcastraRuntimeTests",
            dependencies: [
                "OrcastraRuntime",
                "OrcastraTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/RuntimeTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrcastraAPITests",
            dependencies: [
                "OrcastraAPI",
                "OrcastraTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/APITests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrcastraGatewayTests",
            dependencies: [
                "OrcastraGateway",
                "OrcastraAPI",
                "OrcastraDevIdP",
                "OrcastraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/GatewayTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrcastraDevIdPTests",
            dependencies: [
                "OrcastraDevIdP",
                "OrcastraTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/DevIdPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "OrcastraTestSupport",
                "OrcastraModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/IntegrationTests",
            swiftSettings: swiftSettings
        ),
    ]
)
