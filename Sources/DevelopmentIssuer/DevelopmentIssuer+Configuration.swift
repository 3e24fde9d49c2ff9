import NIOConcurrencyHelpers
public import Foundation

extension DevelopmentIssuer {
    /// What a sandbox's issuer is made of. A value: build it, then pass it to
    /// ``DevelopmentIssuer/init(configuration:key:)``.
    public struct Configuration: Sendable, Hashable {
        /// The realm name; the issuer is `http://127.0.0.1:PORT/auth/realms/<realm>`.
        public var realm: String
        /// The users.
        public var users: [User]
        /// The clients; the first is the `azp` of tokens minted directly.
        public var clients: [Client]
        /// Access and ID token lifetime (Keycloak's default: 5 minutes).
        public var accessTokenLifetime: TimeInterval
        /// Refresh token lifetime (Keycloak's SSO session idle default: 30 minutes).
        public var refreshTokenLifetime: TimeInterval
        /// Whether the authorization and end-session endpoints refuse redirect URIs a client did not register (as
        /// Keycloak does). Tests may leave it off; a sandbox turns it on.
        public var enforcesRedirectURIs: Bool
        /// A PEM file of CA certificates to trust when posting back-channel logouts to `https` URIs (a sandbox's own
        /// CA); `nil`: the system's trust roots.
        public var backchannelLogoutCAFile: String?
        /// How long one back-channel logout may take, connection attempts included (default 10 seconds).
        public var backchannelLogoutTimeout: TimeInterval

        /// Creates a configuration.
        public init(
            realm: String = "verrazzano-system",
            users: [User],
            clients: [Client],
            accessTokenLifetime: TimeInterval = 300,
            refreshTokenLifetime: TimeInterval = 1800,
            enforcesRedirectURIs: Bool = true,
            backchannelLogoutCAFile: String? = nil,
            backchannelLogoutTimeout: TimeInterval = 10
        ) {
            self.realm = realm
            self.users = users
            self.clients = clients
            self.accessTokenLifetime = accessTokenLifetime
            self.refreshTokenLifetime = refreshTokenLifetime
            self.enforcesRedirectURIs = enforcesRedirectURIs
            self.backchannelLogoutCAFile = backchannelLogoutCAFile
            self.backchannelLogoutTimeout = backchannelLogoutTimeout
        }

        /// Verrazzano's realm as `vzauth sandbox` runs it: realm `verrazzano-system`, `users`, the clients
        /// `verrazzano-pkce` (loopback redirects plus `proxyRedirectURIs`, back-channel logout to
        /// `backchannelLogoutURI`) and `verrazzano-pg`, Keycloak's lifetimes, redirect URIs enforced.
        public static func sandbox(users: [User], proxyRedirectURIs: [String] = [], backchannelLogoutURI: String? = nil) -> Configuration {
            Configuration(
                users: users,
                clients: [.pkce(proxyRedirectURIs: proxyRedirectURIs, backchannelLogoutURI: backchannelLogoutURI), .passwordGrant]
            )
        }
    }

    /// Applies `configuration`'s users, clients, lifetimes and redirect URI enforcement (the realm is fixed at
    /// creation).
    func apply(_ configuration: Configuration) {
        self.state.withLockedValue { state in
            for user in configuration.users {
                state.login.users[user.username] = user
            }
            state.login.allowedClients = Set(configuration.clients.map(\.id))
            for client in configuration.clients {
                state.login.clientSecrets[client.id] = client.secret
                state.login.redirectURIs[client.id] = client.redirectURIs
                state.login.backchannelLogoutURIs[client.id] = client.backchannelLogoutURI
            }
            state.login.accessTokenLifetime = configuration.accessTokenLifetime
            state.login.refreshTokenLifetime = configuration.refreshTokenLifetime
            state.login.enforcesRedirectURIs = configuration.enforcesRedirectURIs
            state.login.backchannelLogoutCAFile = configuration.backchannelLogoutCAFile
            state.login.backchannelLogoutTimeout = configuration.backchannelLogoutTimeout
        }
    }

    /// Registers (or replaces) a client: allowed, with its secret, redirect URIs and back-channel logout URI.
    public func addClient(_ client: Client) {
        self.state.withLockedValue { state in
            state.login.allowedClients.insert(client.id)
            state.login.clientSecrets[client.id] = client.secret
            state.login.redirectURIs[client.id] = client.redirectURIs
            state.login.backchannelLogoutURIs[client.id] = client.backchannelLogoutURI
        }
    }

    /// Turns the check of registered redirect URIs on or off (off by default for tests, on in a sandbox).
    public func setEnforcesRedirectURIs(_ enforces: Bool) {
        self.state.withLockedValue { $0.login.enforcesRedirectURIs = enforces }
    }
}
