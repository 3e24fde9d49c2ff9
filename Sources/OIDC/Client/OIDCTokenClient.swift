public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Calls the provider's token endpoint: authorization-code exchange (with the PKCE verifier), refresh, the
/// resource-owner password grant, and the device authorization grant (RFC 8628, in `OIDCTokenClient+DeviceGrant.swift`).
///
/// Requests are `POST application/x-www-form-urlencoded` with `Accept: application/json`. Public clients send
/// `client_id` in the body; a confidential client's secret (``OIDCClientSecret``) goes in HTTP Basic
/// authentication (`client_secret_basic`, `client_id` stays in the body), or in the body as `client_secret` when
/// the discovery document lists only `client_secret_post` (``OIDCDiscoveryDocument/sendsClientSecretInBody``). Every request has a deadline
/// (``OIDCTokenClientConfiguration/requestTimeout``) and a bounded response
/// (``OIDCTokenClientConfiguration/maximumResponseSize``).
///
/// The endpoint is the discovery document's `token_endpoint` as loaded by the ``OIDCKeyProvider``, rewritten with
/// ``OIDCProviderConfiguration/internalURL(for:)`` when a separate (in-cluster) discovery URL is configured, and
/// requested with the provider's CA settings.
///
/// Redirects are never followed: create the `HTTPClient` with `redirectConfiguration: .disallow`. As a second
/// line of defence the body is sent as a one-shot stream, so even a redirect-following client never re-sends it,
/// and any answer reached through a redirect is refused as ``OIDCTokenEndpointError/unexpectedStatus``.
///
/// - Important: Codes, verifiers, tokens, passwords and secrets are never logged or put into errors.
public struct OIDCTokenClient: Sendable {
    enum Endpoint: Sendable {
        case discovered(OIDCKeyProvider)
        case fixed(String)
    }

    /// Timeout and size limit.
    public let configuration: OIDCTokenClientConfiguration
    let endpoint: Endpoint
    private let httpClient: HTTPClient
    private let logger: Logger
    let now: @Sendable () -> Date

    /// Creates a client for the token endpoint named by `keyProvider`'s discovery document.
    ///
    /// - Parameters:
    ///   - keyProvider: The provider whose discovery document names the token endpoint (until it has loaded
    ///     once, calls fail with ``OIDCTokenEndpointError/notConfigured``).
    ///   - httpClient: The client for token requests; not shut down here. Disable redirects on it.
    ///   - configuration: Timeout and size limit.
    ///   - logger: Where failed calls are logged (never with tokens or secrets).
    ///   - now: The clock for ``OIDCTokenResponse/receivedAt``.
    public init(
        keyProvider: OIDCKeyProvider,
        httpClient: HTTPClient,
        configuration: OIDCTokenClientConfiguration = OIDCTokenClientConfiguration(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(endpoint: .discovered(keyProvider), httpClient: httpClient, configuration: configuration, logger: logger,
                  now: now)
    }

    /// Creates a client for a fixed token endpoint URL (used as given; the HTTP client's TLS settings apply).
    public init(
        tokenEndpoint: String,
        httpClient: HTTPClient,
        configuration: OIDCTokenClientConfiguration = OIDCTokenClientConfiguration(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(endpoint: .fixed(tokenEndpoint), httpClient: httpClient, configuration: configuration, logger: logger,
                  now: now)
    }

    private init(
        endpoint: Endpoint,
        httpClient: HTTPClient,
        configuration: OIDCTokenClientConfiguration,
        logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    /// The URL token requests go to right now; `nil` while the discovery document is not loaded or names no
    /// token endpoint.
    public var tokenEndpointURL: String? {
        switch self.endpoint {
        case .fixed(let url):
            return url
        case .discovered(let provider):
            guard let published = provider.discoveryDocument?.tokenEndpoint, !published.isEmpty else {
                return nil
            }
            return provider.configuration.internalURL(for: published)
        }
    }

    /// Exchanges an authorization code (`grant_type=authorization_code`) with the PKCE verifier.
    ///
    /// - Parameters:
    ///   - code: The `code` of the callback.
    ///   - codeVerifier: ``OIDCAuthorizationRequest/codeVerifier`` of the pending login.
    ///   - redirectURI: Exactly the `redirect_uri` of the authorization request.
    ///   - clientID: The client id of the authorization request.
    ///   - clientSecret: The secret of a confidential client; `nil` for public clients.
    /// - Throws: ``OIDCTokenEndpointError``; ``OIDCTokenEndpointError/Kind-swift.enum/rejected`` when the code is
    ///   invalid, used, expired, or the verifier does not match.
    public func exchangeCode(
        _ code: String,
        codeVerifier: String,
        redirectURI: String,
        clientID: String,
        clientSecret: OIDCClientSecret? = nil
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        try await self.request(
            grantType: "authorization_code",
            parameters: [("code", code), ("redirect_uri", redirectURI), ("code_verifier", codeVerifier)],
            clientID: clientID,
            clientSecret: clientSecret,
            secrets: [code, codeVerifier]
        )
    }

    /// Refreshes a session (`grant_type=refresh_token`). Keycloak rotates the refresh token: keep the new one.
    ///
    /// - Throws: ``OIDCTokenEndpointError``; ``OIDCTokenEndpointError/Kind-swift.enum/rejected`` (usually
    ///   `invalid_grant`) when the refresh token or the provider session is no longer valid: the session is over.
    public func refresh(
        _ refreshToken: String,
        clientID: String,
        clientSecret: OIDCClientSecret? = nil
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        try await self.request(
            grantType: "refresh_token",
            parameters: [("refresh_token", refreshToken)],
            clientID: clientID,
            clientSecret: clientSecret,
            secrets: [refreshToken]
        )
    }

    /// Logs a user in with user name and password (`grant_type=password`; Verrazzano's `verrazzano-pg` client).
    ///
    /// - Parameter scope: Default `openid`, so the response carries an ID token.
    /// - Throws: ``OIDCTokenEndpointError``; ``OIDCTokenEndpointError/invalidGrant`` for wrong credentials.
    public func passwordGrant(
        username: String,
        password: String,
        clientID: String,
        clientSecret: OIDCClientSecret? = nil,
        scope: String = "openid"
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        try await self.request(
            grantType: "password",
            parameters: [("username", username), ("password", password), ("scope", scope)],
            clientID: clientID,
            clientSecret: clientSecret,
            secrets: [password]
        )
    }

    // MARK: Sending

    func request(
        grantType: String,
        parameters: [(name: String, value: String)],
        clientID: String,
        clientSecret: OIDCClientSecret?,
        secrets: [String]
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        var secrets = secrets
        if let clientSecret {
            secrets.append(clientSecret.value)
        }
        do throws(OIDCTokenEndpointError) {
            let response = try await self.send(
                grantType: grantType,
                parameters: parameters,
                clientID: clientID,
                clientSecret: clientSecret,
                secrets: secrets
            )
            self.logger.debug("Token request succeeded", metadata: ["grantType": "\(grantType)"])
            return response
        } catch {
            let metadata: Logger.Metadata = [
                "grantType": "\(grantType)",
                "reason": "\(error.metricLabel)",
                "status": "\(error.upstreamStatus.map(String.init) ?? "-")",
                "error": "\(error.message)",
            ]
            if error.kind == .rejected {
                self.logger.info("Token request refused by the provider", metadata: metadata)
            } else {
                self.logger.warning("Token request failed", metadata: metadata)
            }
            throw error
        }
    }

    private func send(
        grantType: String,
        parameters: [(name: String, value: String)],
        clientID: String,
        clientSecret: OIDCClientSecret?,
        secrets: [String]
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        guard let url = self.tokenEndpointURL else {
            throw OIDCTokenEndpointError.notConfigured
        }
        let answer = try await self.post(
            url: url,
            form: [("grant_type", grantType)] + parameters,
            clientID: clientID,
            clientSecret: clientSecret,
            what: "token endpoint"
        )
        return try Self.interpret(status: answer.status, body: answer.body, secrets: secrets, receivedAt: self.now())
    }

    /// POSTs `form` (then `client_id`, and the client secret as the provider wants it) to `url` with the client's
    /// deadline, size limit and TLS settings; redirects are refused.
    func post(
        url: String,
        form: [(name: String, value: String)],
        clientID: String,
        clientSecret: OIDCClientSecret?,
        what: String
    ) async throws(OIDCTokenEndpointError) -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var secretInBody: String?
        if let clientSecret {
            if case .discovered(let provider) = self.endpoint, provider.discoveryDocument?.sendsClientSecretInBody == true {
                secretInBody = clientSecret.value
            } else {
                let credentials = FormURLEncoding.encode(clientID) + ":" + FormURLEncoding.encode(clientSecret.value)
                request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
            }
        }
        if case .discovered(let provider) = self.endpoint, let tlsConfiguration = provider.tlsConfiguration {
            request.tlsConfiguration = tlsConfiguration
        }
        var form = form + [("client_id", clientID)]
        if let secretInBody { form.append(("client_secret", secretInBody)) }
        let body = ByteBuffer(string: FormURLEncoding.encode(form))
        request.body = .stream(OneShotBody(body), length: .known(Int64(body.readableBytes)))

        let deadline = NIODeadline.now() + TimeAmount(self.configuration.requestTimeout)
        let response: HTTPClientResponse
        do {
            response = try await self.httpClient.execute(request, deadline: deadline, logger: self.logger)
        } catch {
            throw Self.transportError(error, url: url)
        }
        let status = Int(response.status.code)
        let bytes: [UInt8]
        do {
            let buffer = try await response.body.collect(upTo: self.configuration.maximumResponseSize)
            bytes = Array(buffer.readableBytesView)
        } catch let error as NIOTooManyBytesError {
            _ = error
            if (500...599).contains(status) {
                throw OIDCTokenEndpointError.serverError.with(message: "\(what) answered \(status)", upstreamStatus: status)
            }
            throw OIDCTokenEndpointError.oversized.with(
                message: "\(what) response is larger than \(self.configuration.maximumResponseSize) bytes",
                upstreamStatus: status
            )
        } catch {
            throw Self.transportError(error, url: url)
        }
        if response.history.count > 1 {
            throw OIDCTokenEndpointError.unexpectedStatus.with(
                message: "\(what) redirected the request; redirects are not followed",
                upstreamStatus: Int(response.history[0].responseHead.status.code)
            )
        }
        return (status, bytes)
    }

    static func transportError(_ error: any Error, url: String) -> OIDCTokenEndpointError {
        if let error = error as? HTTPClientError,
            error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout
        {
            return OIDCTokenEndpointError.timeout.with(message: "token request to \(url) timed out")
        }
        return OIDCTokenEndpointError.transport.with(message: "token request to \(url) failed: \(error)")
    }
}
