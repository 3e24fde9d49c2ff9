import DevelopmentIssuer
import Foundation
import Logging

/// The sandbox's OpenID provider: a ``DevelopmentIssuer/DevelopmentIssuer`` with realm `verrazzano-system`, the
/// users of `--users` or of the folder's `users.yaml` (first start: alice, bob and carol with generated passwords,
/// written there), a signing key kept in the folder (so a restart keeps tokens valid), and the clients
/// `verrazzano-pkce` (loopback redirects and the console's callback, back-channel logout to the OIDC proxy) and
/// `verrazzano-pg`.
struct SandboxIdentityProvider: Sendable {
    /// A user as the sandbox lists it.
    struct User: Sendable {
        var name: String
        var password: String
        var groups: [String]
    }

    /// The issuer URL.
    let url: String
    /// Its users, with their passwords.
    let users: [User]
    /// The file their passwords are in.
    let usersFile: String
    /// Stops it.
    let stop: @Sendable () async -> Void

    /// Starts the provider on `port`.
    static func start(folder: SandboxFolder, port: Int, usersFile: String?, consoleCallback: String,
                      consoleBackChannelLogout: String, logger: Logger) async throws -> SandboxIdentityProvider {
        let users: [DevelopmentIssuer.User]
        let path = usersFile ?? folder.path("users.yaml")
        do {
            if usersFile != nil || folder.exists("users.yaml") {
                users = try DevelopmentIssuer.UsersFile.load(path: path)
            } else {
                users = DevelopmentIssuer.User.builtInUsers()
                try DevelopmentIssuer.UsersFile.write(users, path: path)
            }
        } catch {
            throw SandboxError("users: \(error)")
        }
        let key: SigningKey
        do {
            key = try SigningKey.loadOrCreate(pemFile: folder.path("issuer/signing-key.pem")).key
        } catch {
            throw SandboxError("the issuer's signing key: \(error); delete \(folder.path("issuer/signing-key.pem")) to make a new one")
        }
        let issuer = DevelopmentIssuer(
            configuration: .sandbox(users: users, proxyRedirectURIs: [consoleCallback], backchannelLogoutURI: consoleBackChannelLogout),
            key: key)
        do {
            try await issuer.start(port: port)
        } catch {
            throw SandboxError("the OpenID provider cannot listen on 127.0.0.1:\(port): \(error); choose another with --issuer-port")
        }
        return SandboxIdentityProvider(
            url: issuer.issuer,
            users: users.map { User(name: $0.username, password: $0.password ?? "", groups: $0.groups) },
            usersFile: path,
            stop: { try? await issuer.shutdown() })
    }
}
