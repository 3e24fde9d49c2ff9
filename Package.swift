// swift-tools-version:6.0
import PackageDescription

/// Settings every target shares: strict, explicit imports and existential `any`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "vzauth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vzauth", targets: ["vzauth"]),
        // Libraries for the fuzz targets in Fuzz/ (a package of its own that depends on this one by path).
        .library(name: "ProxyCore", targets: ["ProxyCore"]),
        .library(name: "OIDC", targets: ["OIDC"]),
        .library(name: "OIDCProxy", targets: ["OIDCProxy"]),
        .library(name: "APIProxy", targets: ["APIProxy"]),
        .library(name: "ProxyFrontDoor", targets: ["ProxyFrontDoor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Shared, no dependencies: what both services and the OIDC library need of files they re-read when they
        // change (a file's fingerprint).
        .target(
            name: "FileSupport",
            swiftSettings: strictSettings
        ),
        // Shared, no dependencies: JSON string literals and HTML text for hand-written output.
        .target(
            name: "TextEscaping",
            swiftSettings: strictSettings
        ),
        // Shared: one-line explanations of YAML syntax and shape errors, for messages that name a file.
        .target(
            name: "YAMLSupport",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Shared: OpenID Connect discovery, key sets and token verification.
        .target(
            name: "OIDC",
            dependencies: [
                "FileSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmark (run by hand): `swift run -c release vzauth-token-bench`.
        .executableTarget(
            name: "vzauth-token-bench",
            dependencies: ["OIDC", "VZAuthTestSupport"],
            path: "Sources/OIDCBenchmark",
            swiftSettings: strictSettings
        ),
        // RBAC controller scale benchmark (`benchmarks/rbac-scale.sh`).
        .executableTarget(
            name: "vzauth-rbac-scale-bench",
            dependencies: [
                "KubeClient", "VZAuthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/RBACScaleBenchmark",
            swiftSettings: strictSettings
        ),
        // Benchmark helper: seals an OIDC proxy session cookie (`vzauth-session-cookie SECRET_FILE USER`).
        .executableTarget(
            name: "vzauth-session-cookie",
            dependencies: ["OIDCProxy"],
            path: "Sources/SessionCookieTool",
            swiftSettings: strictSettings
        ),
        // Shared: plain Kubernetes models (object metadata, lists, resources, Status, list options, API errors).
        // No networking and no dependencies, so pure code can use them without linking an HTTP client.
        .target(
            name: "KubeModels",
            swiftSettings: strictSettings
        ),
        // Shared: kubeconfig / in-cluster configuration and a small typed Kubernetes client. Re-exports KubeModels.
        .target(
            name: "KubeClient",
            dependencies: [
                "ProcessSupport",
                "YAMLSupport",
                "FileSupport",
                "KubeModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared: what every service serves HTTP with, nothing of the proxy: listeners (plain or TLS that reloads),
        // the strict HTTP/1.1 request decoder, the response writer, and the management listener (/healthz,
        // /readyz, /metrics) with its listener configuration.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "FileSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared: the streaming HTTP forwarder, upgrades, request screening and proxy metrics. Re-exports
        // ServiceSupport.
        .target(
            name: "ProxyCore",
            dependencies: [
                "ServiceSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared by both proxies: what happens to a request before a proxy's own policy. Bearer token checks (at
        // once, or deferred for a key refetch), Basic credentials exchanged with the password grant (cached, one
        // grant at a time per credential), the check that identity names travel exactly, and refusals that know
        // their status, reason, message and challenge, rendered as a Kubernetes Status or a console's text answer.
        .target(
            name: "ProxyFrontDoor",
            dependencies: [
                "ProxyCore", "OIDC",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared foundations of multicluster routing: which cluster a request names, the directory of managed
        // clusters (VMCs and their CA Secrets, kept current by a watch), the SubjectAccessReview that decides who may
        // use a cluster, and the multi-issuer configuration.
        .target(
            name: "Multicluster",
            dependencies: [
                "KubeModels", "KubeClient", "OIDC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Feature: the Kubernetes API proxy (bearer authentication, impersonation, CORS).
        .target(
            name: "APIProxy",
            dependencies: [
                "ProxyFrontDoor", "ProxyCore", "OIDC", "KubeClient", "Multicluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // Feature: the OIDC login proxy for web consoles (login flow, sealed session cookies, identity headers).
        .target(
            name: "OIDCProxy",
            dependencies: [
                "ProxyFrontDoor", "ProxyCore", "OIDC",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/OIDCProxy",
            swiftSettings: strictSettings
        ),
        // Feature: Verrazzano RBAC desired state (role catalogue, install and project bindings, validation, YAML).
        // Pure: no I/O.
        .target(
            name: "VerrazzanoRBAC",
            dependencies: [
                "YAMLSupport",
                "KubeModels",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // A Kubernetes API server in one process, for development (`vzauth sandbox`) and as the tests' double: objects
        // in memory, discovery, watch, apply, logs/exec/port-forward of demo pods, and RBAC evaluated as
        // kube-apiserver does, with Kubernetes 1.32's bootstrap roles (the RBAC part is pure).
        .target(
            name: "KubeEmulator",
            dependencies: [
                "TextEscaping",
                "KubeModels", "CVZAuthZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // Feature: the RBAC controller, the I/O half of Verrazzano RBAC: watches the cluster, applies the desired
        // state computed by VerrazzanoRBAC, cleans up, reports status and events, and elects a leader with a Lease.
        .target(
            name: "RBACController",
            dependencies: [
                "VerrazzanoRBAC", "KubeClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // Feature: `vzauth login`, a kubectl exec credential plugin (issue 17): the ExecCredential, the token cache
        // and its use/refresh/log-in decision, the browser login with PKCE and a loopback redirect, the device
        // authorization grant's polling, and the password grant. Pure decisions apart from the I/O pieces.
        .target(
            name: "KubeLogin",
            dependencies: [
                "TextEscaping",
                "FileSupport",
                "OIDC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The one executable.
        .executableTarget(
            name: "vzauth",
            dependencies: [
                "TextEscaping",
                "YAMLSupport",
                "FileSupport",
                "APIProxy", "OIDCProxy", "VerrazzanoRBAC", "RBACController", "ProxyCore", "ServiceSupport", "OIDC", "KubeClient",
                "Multicluster", "KubeLogin", "KubeEmulator", "DevelopmentCertificates", "DevelopmentIssuer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // A certificate authority for development and tests (`vzauth sandbox`, the test suites): a CA and the
        // server and client certificates it signs, as PEM.
        .target(
            name: "DevelopmentCertificates",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        // An OpenID provider in one process, for development (`vzauth sandbox`) and as the tests' issuer; never for
        // production (passwords in a file, sessions in memory). Keycloak-shaped: discovery, key set, a login page,
        // authorization code with PKCE, refresh, password and device grants, end session and back-channel logout;
        // users from a YAML file or a built-in set; a signing key generated or kept in a PEM file.
        .target(
            name: "DevelopmentIssuer",
            dependencies: [
                "TextEscaping",
                "YAMLSupport",
                "FileSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // The system zlib (SPDY/3 header compression for the emulated API server's port-forward).
        .systemLibrary(name: "CVZAuthZlib", path: "Sources/CVZAuthZlib"),
        // Closing every inherited descriptor in a spawned child (glibc's addclosefrom), for ProcessSupport.
        .target(name: "CSpawnSupport"),
        // Shared: child processes started with posix_spawn instead of Foundation's Process, whose run() can crash
        // on Linux (exec credential plugins; the tests' many commands).
        .target(
            name: "ProcessSupport",
            dependencies: ["CSpawnSupport"],
            swiftSettings: strictSettings
        ),
        // Test doubles: the OIDC issuer (DevelopmentIssuer, re-exported, with fixed test keys), the Kubernetes API server
        // (KubeEmulator, re-exported), certificates. Not a product.
        .target(
            name: "VZAuthTestSupport",
            dependencies: [
                "KubeEmulator", "DevelopmentCertificates", "DevelopmentIssuer", "ProcessSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                // The API server double reads apply and YAML bodies with libyaml, as kube-apiserver reads them with go-yaml.
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeEmulatorTests",
            dependencies: ["KubeEmulator", "VerrazzanoRBAC"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DevelopmentIssuerTests",
            dependencies: [
                "DevelopmentIssuer", "OIDC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "FileSupportTests", dependencies: ["FileSupport"], swiftSettings: strictSettings),
        .testTarget(name: "TextEscapingTests", dependencies: ["TextEscaping"], swiftSettings: strictSettings),
        .testTarget(name: "YAMLSupportTests", dependencies: ["YAMLSupport", .product(name: "Yams", package: "Yams")],
                    swiftSettings: strictSettings),
        .testTarget(name: "OIDCTests", dependencies: ["OIDC", "VZAuthTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "VZAuthTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ProxyCoreTests",
            dependencies: [
                "ProxyCore", "ServiceSupport", "VZAuthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProxyFrontDoorTests",
            dependencies: [
                "ProxyFrontDoor", "ProxyCore", "OIDC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "APIProxyTests",
            dependencies: [
                "APIProxy", "ProxyFrontDoor", "ProxyCore", "OIDC", "Multicluster", "VZAuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "OIDCProxyTests",
            dependencies: [
                "OIDCProxy", "ProxyFrontDoor", "ProxyCore", "OIDC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MulticlusterTests",
            dependencies: [
                "Multicluster", "KubeModels", "KubeClient", "OIDC", "VZAuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeLoginTests",
            dependencies: [
                "KubeLogin", "OIDC", "VZAuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VerrazzanoRBACTests",
            dependencies: [
                "VerrazzanoRBAC", "KubeModels",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RBACControllerTests",
            dependencies: [
                "RBACController", "VerrazzanoRBAC", "KubeClient", "VZAuthTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VZAuthTests",
            dependencies: [
                "vzauth", "VZAuthTestSupport", "APIProxy", "OIDCProxy", "VerrazzanoRBAC", "ProxyCore", "OIDC", "KubeClient",
                "KubeLogin",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
