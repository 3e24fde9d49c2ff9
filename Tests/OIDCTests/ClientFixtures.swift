import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import VZAuthTestSupport

/// Shared pieces of the login-client tests: a started issuer double with a user, HTTP clients, a provider.
enum LoginFixture {
    static let redirectURI = "https://grafana.vmi.system.example.com/_authentication_callback"
    static let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a started issuer (alice registered, password `alice-password`) and an HTTP client that does
    /// not follow redirects; shuts both down afterwards.
    static func withIssuer<T>(
        _ issuer: OIDCIssuerDouble = OIDCIssuerDouble(),
        followRedirects: Bool = false,
        _ body: (OIDCIssuerDouble, HTTPClient) async throws -> T
    ) async throws -> T {
        try await issuer.start()
        issuer.addUser(alice)
        let redirects: HTTPClient.Configuration.RedirectConfiguration =
            followRedirects ? .follow(max: 5, allowCycles: false) : .disallow
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(redirectConfiguration: redirects, decompression: .disabled)
        )
        do {
            let result = try await body(issuer, client)
            try await client.shutdown()
            try await issuer.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            try? await issuer.shutdown()
            throw error
        }
    }

    static let alice = OIDCIssuerDouble.User(
        username: "alice",
        subject: "0b6f4a2e-7c1d-4e58-9a3b-2f1e0d9c8b7a",
        groups: ["verrazzano-admins"],
        roles: ["vz_api_access", "offline_access"],
        password: "alice-password"
    )

    /// A loaded key provider for `issuer`.
    static func provider(
        for issuer: OIDCIssuerDouble,
        httpClient: HTTPClient,
        configure: (inout OIDCProviderConfiguration) -> Void = { _ in }
    ) async throws -> OIDCKeyProvider {
        var configuration = OIDCProviderConfiguration(issuer: issuer.issuer, requestTimeout: .seconds(5))
        configure(&configuration)
        let provider = OIDCKeyProvider(configuration: configuration, httpClient: httpClient, logger: quietLogger)
        try await provider.load()
        return provider
    }

    /// A token client for `provider` with a short timeout.
    static func tokenClient(
        _ provider: OIDCKeyProvider,
        httpClient: HTTPClient,
        timeout: Duration = .seconds(5),
        maximumResponseSize: Int = 256 * 1024
    ) -> OIDCTokenClient {
        OIDCTokenClient(
            keyProvider: provider,
            httpClient: httpClient,
            configuration: OIDCTokenClientConfiguration(requestTimeout: timeout, maximumResponseSize: maximumResponseSize),
            logger: quietLogger
        )
    }

    /// A token authenticator for the double's issuer.
    static func authenticator(_ provider: OIDCKeyProvider, issuer: OIDCIssuerDouble) -> TokenAuthenticator {
        TokenAuthenticator(
            keySource: provider,
            policy: TokenPolicy(issuer: issuer.issuer, allowedClientIDs: ["verrazzano-pkce", "verrazzano-pg"]),
            mapping: ClaimMapping(requiredRole: "vz_api_access")
        )
    }
}

/// A raw answer of the double.
struct RawResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The query parameters of the `Location` header (percent-decoded).
    var locationQuery: [String: String] {
        guard let location = self.header("Location"), let components = URLComponents(string: location) else {
            return [:]
        }
        var result: [String: String] = [:]
        for item in components.queryItems ?? [] {
            result[item.name] = item.value
        }
        return result
    }
}

extension HTTPClient {
    /// GET or POST `url` and collect the answer (redirects as configured on the client).
    func raw(
        _ url: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        form: String? = nil
    ) async throws -> RawResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await self.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return RawResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: body)
        )
    }
}

/// A deterministic generator (SplitMix64) for reproducible authorization requests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Form-encodes pairs for raw requests in tests.
func formBody(_ pairs: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
}

/// A thread-safe list of values recorded by a handler.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Value] = []

    var values: [Value] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.recorded
    }

    func record(_ value: Value) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.recorded.append(value)
    }
}

/// Decodes a form body the way a server would (for checking what the client sent).
func decodeForm(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "?"
        }
        result[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    return result
}
