// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for vzauth, a package of its own so that `swift build` / `swift test` at the root never build
// them. Build and run with `Fuzz/run.sh` (see Fuzz/README.md): the targets need `--sanitize fuzzer`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "vzauth-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "vzauth", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // What more than one target uses (failure messages).
        .target(name: "FuzzSupport", swiftSettings: strictSettings),
        // UpstreamResponseFramer (ProxyCore): an upstream's response bytes, whole and split.
        .executableTarget(
            name: "FuzzUpstreamResponseFramer",
            dependencies: [
                .product(name: "ProxyCore", package: "vzauth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Strict JSON, base64url, compact JWS and JWKS parsing (OIDC).
        .executableTarget(
            name: "FuzzJOSE",
            dependencies: [.product(name: "OIDC", package: "vzauth")],
            swiftSettings: strictSettings
        ),
        // The request Cookie parser, removal of the proxy's own cookies, chunked cookies (OIDCProxy).
        .executableTarget(
            name: "FuzzCookies",
            dependencies: [
                .product(name: "OIDCProxy", package: "vzauth"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The proxy's strict HTTP/1.1 request decoder (ProxyCore): a client's bytes, whole and split, with small limits,
        // against NIO's own request decoder.
        .executableTarget(
            name: "FuzzClientRequestDecoder",
            dependencies: [
                "FuzzSupport",
                .product(name: "ProxyCore", package: "vzauth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // A client's bytes through the whole request path (decoder, forwarding handler, the API proxy's policy, the
        // upstream writer) over in-memory channels: the identity reaching the upstream is the token's, whatever else.
        .executableTarget(
            name: "FuzzRequestPath",
            dependencies: [
                "FuzzSupport",
                .product(name: "ProxyCore", package: "vzauth"),
                .product(name: "APIProxy", package: "vzauth"),
                .product(name: "ProxyFrontDoor", package: "vzauth"),
                .product(name: "OIDC", package: "vzauth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
