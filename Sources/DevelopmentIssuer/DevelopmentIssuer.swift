import NIOConcurrencyHelpers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A Keycloak-shaped OpenID Provider in one process, **for development and tests only, never for production**: user
/// passwords come from a file (or are generated), sessions, codes and refresh tokens live in memory, and it serves
/// plain HTTP on `127.0.0.1`. `vzauth sandbox` runs it; the tests know it as `OIDCIssuerDouble`.
///
/// Paths follow Keycloak: `<realm>/.well-known/openid-configuration`, and under `<realm>/protocol/openid-connect/`
/// `certs`, `auth` (authorization endpoint with PKCE S256, a login page, and single sign-on through a
/// `KEYCLOAK_SESSION` cookie, see `DevelopmentIssuer+Authorization.swift`), `token` (authorization code, refresh,
/// password and device grants, see `DevelopmentIssuer+TokenEndpoint.swift`), `logout` (end session, with
/// back-channel logout to the clients of the session, see `DevelopmentIssuer+EndSession.swift`) and `auth/device`
/// (device authorization, with the user's page at `<realm>/device`). `userinfo` answers 404. Users, clients,
/// lifetimes and counters are in `DevelopmentIssuer+Users.swift`; the sandbox's configuration in
/// ``DevelopmentIssuer/Configuration``.
///
/// Some of its API is for tests only (and says so): behaviours that make it fail or hang, custom handlers, fetch
/// and login counters, raw JWKs, key rotation, and minting arbitrary tokens with its key.
///
/// For a sandbox:
/// ```swift
/// let key = try SigningKey.loadOrCreate(pemFile: folder + "/issuer-key.pem").key
/// let users = try DevelopmentIssuer.UsersFile.load(path: folder + "/users.yaml")
///     // or DevelopmentIssuer.User.builtInUsers(passwords:), saved with UsersFile.write(_:path:)
/// let issuer = DevelopmentIssuer(configuration: .sandbox(users: users, proxyRedirectURIs: [callback],
///                                                        backchannelLogoutURI: logoutURL), key: key)
/// try await issuer.start(port: 0)
/// print(issuer.issuer)  // http://127.0.0.1:PORT/auth/realms/verrazzano-system
/// try await issuer.shutdown()
/// ```
public final class DevelopmentIssuer: Sendable {
    /// How the server answers discovery and key requests (for tests).
    public enum Behaviour: Sendable, Hashable {
        /// Serve the documents.
        case normal
        /// Answer every request with this status (for example 500).
        case fail(status: Int)
        /// Never answer (the connection stays open until shutdown).
        case hang
        /// Answer normally, but only after this delay.
        case delay(Duration)
    }

    /// A request as seen by a custom handler.
    public struct Request: Sendable {
        /// `GET`, `POST`, ...
        public var method: String
        /// The path without the query.
        public var path: String
        /// The raw query string (without `?`), if any.
        public var query: String?
        /// Request headers (names as sent).
        public var headers: [(name: String, value: String)]
        /// The request body.
        public var body: [UInt8]
    }

    /// A response from a custom handler.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// Response headers; `Content-Length` is added automatically.
        public var headers: [(name: String, value: String)]
        /// The body.
        public var body: [UInt8]
        /// How long the server waits before answering.
        var delay: Duration?

        /// Creates a response.
        public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// A JSON response.
        public static func json(_ text: String, status: Int = 200) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
        }
    }

    /// A custom request handler for one path (for tests).
    public typealias Handler = @Sendable (Request) -> Response

    struct State {
        var port: Int?
        var keys: [SigningKey]
        var behaviour: Behaviour = .normal
        var jwksFetchCount = 0
        var discoveryFetchCount = 0
        var handlers: [String: Handler] = [:]
        var extraJWKs: [[String: TokenJSON]] = []
        /// Members that replace (or, as `.null`, remove) the discovery document's defaults.
        var discoveryMembers: [String: TokenJSON] = [:]
        var login: IssuerLoginState
    }

    /// The realm path, such as `/auth/realms/verrazzano-system`.
    public let realmPath: String
    /// The realm's name: the last component of ``realmPath`` (`verrazzano-system`).
    public var realmName: String {
        self.realmPath.split(separator: "/").last.map(String.init) ?? self.realmPath
    }
    /// The client id minted tokens are issued for (`azp`).
    public let clientID: String
    private let publicIssuer: String?
    let state: NIOLockedValueBox<State>
    let group: MultiThreadedEventLoopGroup
    let serverChannel: NIOLockedValueBox<(any Channel)?>
    /// The client of back-channel logouts when a CA file is configured (else the shared client); shut down with the
    /// issuer.
    let backchannelHTTPClient: NIOLockedValueBox<HTTPClient?>
    /// The HMAC key of refresh tokens (Keycloak signs them with a realm secret, not with the published keys).
    let refreshTokenKey: [UInt8]

    /// Creates a (not yet started) issuer.
    ///
    /// - Parameters:
    ///   - realmPath: The path part of the issuer URL.
    ///   - clientID: The `azp` of minted tokens.
    ///   - key: The initial signing key (tests pass a fixed one; a sandbox one from ``SigningKey/loadOrCreate(pemFile:kind:)``).
    ///   - publicIssuer: If set, the documents name this issuer (and endpoints under it) instead of the issuer's own
    ///     URL: the in-cluster situation where the public host is unreachable and only a discovery URL works.
    public init(
        realmPath: String = "/auth/realms/verrazzano-system",
        clientID: String = "verrazzano-pkce",
        key: SigningKey,
        publicIssuer: String? = nil
    ) {
        self.realmPath = realmPath
        self.clientID = clientID
        self.publicIssuer = publicIssuer
        self.state = NIOLockedValueBox(State(keys: [key], login: IssuerLoginState(clientID: clientID)))
        self.refreshTokenKey = (0..<32).map { _ in UInt8.random(in: 0...255) }
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.serverChannel = NIOLockedValueBox(nil)
        self.backchannelHTTPClient = NIOLockedValueBox(nil)
    }

    /// Creates a (not yet started) issuer from a sandbox's configuration: its realm, users, clients (with their
    /// redirect URIs, enforced if the configuration says so, and back-channel logout URIs) and token lifetimes.
    /// The first client is the `azp` of tokens minted by ``mint(claims:)``.
    public convenience init(configuration: Configuration, key: SigningKey) {
        self.init(
            realmPath: "/auth/realms/" + configuration.realm,
            clientID: configuration.clients.first?.id ?? "verrazzano-pkce",
            key: key
        )
        self.apply(configuration)
    }

    /// Binds to `127.0.0.1` on `port` (0, the default: a free one) and starts serving.
    public func start(port: Int = 0) async throws {
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(IssuerHTTPHandler(issuer: self))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        let port = channel.localAddress?.port
        self.serverChannel.withLockedValue { $0 = channel }
        self.state.withLockedValue { $0.port = port }
    }

    /// Stops the server and closes every connection (hanging ones included).
    public func shutdown() async throws {
        let channel = self.serverChannel.withLockedValue { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        let client = self.backchannelHTTPClient.withLockedValue { client in
            defer { client = nil }
            return client
        }
        try? await client?.shutdown()
        try await self.group.shutdownGracefully()
    }

    // MARK: URLs

    /// `http://127.0.0.1:<port>`. Traps before ``start()``.
    public var baseURL: String {
        guard let port = self.state.withLockedValue({ $0.port }) else {
            preconditionFailure("DevelopmentIssuer not started")
        }
        return "http://127.0.0.1:\(port)"
    }

    /// The issuer the documents name and tokens carry: the public issuer if given, else ``baseURL`` + realm path.
    public var issuer: String {
        self.publicIssuer ?? (self.baseURL + self.realmPath)
    }

    /// The discovery document URL at the issuer's own address.
    public var discoveryURL: String {
        self.baseURL + self.realmPath + "/.well-known/openid-configuration"
    }

    /// The key set URL at the issuer's own address.
    public var jwksURL: String {
        self.baseURL + self.realmPath + "/protocol/openid-connect/certs"
    }

    // MARK: Control

    /// For tests: how many times the key set was served (or refused/hung: every request to its path counts).
    public var jwksFetchCount: Int {
        self.state.withLockedValue { $0.jwksFetchCount }
    }

    /// For tests: how many times the discovery document was requested.
    public var discoveryFetchCount: Int {
        self.state.withLockedValue { $0.discoveryFetchCount }
    }

    /// The key new tokens are signed with (the most recently added).
    public var currentKey: SigningKey {
        self.state.withLockedValue { $0.keys.last! }
    }

    /// Every published key.
    public var publishedKeys: [SigningKey] {
        self.state.withLockedValue { $0.keys }
    }

    /// For tests: sets how discovery and key requests are answered.
    public func setBehaviour(_ behaviour: Behaviour) {
        self.state.withLockedValue { $0.behaviour = behaviour }
    }

    /// Publishes `newKey` (default: a fresh key of the current key's kind) and makes it the signing key.
    ///
    /// - Parameter retireOld: Whether to stop publishing every previous key.
    @discardableResult
    public func rotateKey(to newKey: SigningKey? = nil, retireOld: Bool = false) -> SigningKey {
        self.state.withLockedValue { state in
            let current = state.keys.last!
            let key = newKey ?? SigningKey(kind: current.kind, kid: "\(current.kind.rawValue)-\(UUID().uuidString.prefix(8))")
            if retireOld {
                state.keys = []
            }
            state.keys.append(key)
            return key
        }
    }

    /// For tests: adds raw JWK objects to the served key set (for unusual or invalid keys).
    public func addRawJWK(_ jwk: [String: TokenJSON]) {
        self.state.withLockedValue { $0.extraJWKs.append(jwk) }
    }

    /// For tests: installs a handler for `path` (for example the token endpoint); it takes precedence over the built-ins.
    public func setHandler(path: String, _ handler: @escaping Handler) {
        self.state.withLockedValue { $0.handlers[path] = handler }
    }

    /// For tests: replaces discovery document members (a `.null` value removes one), to play providers that publish other
    /// scopes or client authentication methods.
    public func setDiscoveryMembers(_ members: [String: TokenJSON]) {
        self.state.withLockedValue { $0.discoveryMembers.merge(members) { $1 } }
    }

    // MARK: Tokens

    /// A minter signing with the current key, for this issuer and client.
    public var minter: TokenMinter {
        TokenMinter(key: self.currentKey, issuer: self.issuer, clientID: self.clientID)
    }

    /// For tests: mints a token with `claims` signed by the current key; default claims are Keycloak-like for this issuer.
    public func mint(claims: [String: TokenJSON]? = nil) -> String {
        let minter = self.minter
        return minter.mint(claims: claims ?? minter.keycloakClaims())
    }

    // MARK: Serving

    /// The response for `request`, or `nil` to hang.
    func respond(to request: Request) -> Response? {
        let discoveryPath = self.realmPath + "/.well-known/openid-configuration"
        let jwksPath = self.realmPath + "/protocol/openid-connect/certs"
        let (state, handler) = self.state.withLockedValue { state -> (State, Handler?) in
            if request.path == jwksPath { state.jwksFetchCount += 1 }
            if request.path == discoveryPath { state.discoveryFetchCount += 1 }
            return (state, state.handlers[request.path])
        }
        if let handler {
            return handler(request)
        }
        var delay: Duration?
        switch state.behaviour {
        case .hang:
            return nil
        case .fail(let status):
            return Response(status: status, body: Array("development issuer failure (test behaviour)".utf8))
        case .delay(let duration):
            delay = duration
        case .normal:
            break
        }
        let endpoints = self.realmPath + "/protocol/openid-connect"
        var response: Response?
        switch request.path {
        case discoveryPath:
            response = .json(self.discoveryDocument())
        case jwksPath:
            response = .json(SigningKey.jwks(jwks: state.keys.map { $0.publicJWK() } + state.extraJWKs))
        case endpoints + "/auth":
            response = self.authorizationEndpoint(request)
        case endpoints + "/token":
            response = self.tokenEndpoint(request)
        case endpoints + "/logout":
            response = self.endSessionEndpoint(request)
        case endpoints + "/auth/device":
            response = self.deviceAuthorizationEndpoint(request)
        case self.realmPath + "/device":
            response = self.deviceVerificationPage(request)
        default:
            response = Response(status: 404)
        }
        if let delay, response != nil, response?.delay == nil {
            response?.delay = delay
        }
        return response
    }

    /// The discovery document as served.
    public func discoveryDocument() -> String {
        let issuer = self.issuer
        let endpoints = issuer + "/protocol/openid-connect"
        var members: [String: TokenJSON] = [
            "issuer": .string(issuer),
            "jwks_uri": .string(endpoints + "/certs"),
            "authorization_endpoint": .string(endpoints + "/auth"),
            "token_endpoint": .string(endpoints + "/token"),
            "end_session_endpoint": .string(endpoints + "/logout"),
            "userinfo_endpoint": .string(endpoints + "/userinfo"),
            "response_types_supported": ["code"],
            "device_authorization_endpoint": .string(endpoints + "/auth/device"),
            "grant_types_supported": [
                "authorization_code", "refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "scopes_supported": ["openid", "profile", "email", "roles", "offline_access"],
        ]
        for (name, value) in self.state.withLockedValue({ $0.discoveryMembers }) {
            members[name] = value == .null ? nil : value
        }
        return TokenJSON.object(members).jsonString
    }
}
