import NIOConcurrencyHelpers
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

extension DevelopmentIssuer {
    /// A back-channel logout due when a session ended.
    struct PendingBackchannelLogout: Sendable {
        var clientID: String
        var uri: String
        var subject: String?
        var sessionID: String
    }

    /// One back-channel logout the issuer sent (OpenID Connect Back-Channel Logout 1.0, as Keycloak sends it).
    public struct BackchannelLogoutDelivery: Sendable, Hashable {
        /// The client notified.
        public var clientID: String
        /// Where the logout token was posted.
        public var uri: String
        /// The `sid` of the ended session.
        public var sessionID: String
        /// The HTTP status the client answered, or `nil` if the request failed.
        public var status: Int?
        /// Why the request failed, if it did.
        public var failure: String?
    }

    /// Back-channel logouts sent so far (and their outcome), in the order they completed.
    public var backchannelLogoutDeliveries: [BackchannelLogoutDelivery] {
        self.state.withLockedValue { $0.login.backchannelLogoutDeliveries }
    }

    /// Posts a logout token (`typ: logout+jwt`, `iss`, `aud` = the client, `sub`, `sid`, `events`, `jti`, signed with
    /// the current key) as `logout_token=...` to each client's back-channel logout URI, in the background, as
    /// Keycloak does when a session ends. Failures are recorded (after ``Configuration/backchannelLogoutTimeout``:
    /// the HTTP client retries connecting until then), not retried.
    func sendBackchannelLogouts(_ due: [PendingBackchannelLogout]) {
        guard !due.isEmpty else {
            return
        }
        let tokens = due.map { logout in
            (logout, self.mintLogoutToken(subject: logout.subject, sessionID: logout.sessionID, clientID: logout.clientID))
        }
        let state = self.state
        let client = self.backchannelClient()
        let timeout = TimeAmount.milliseconds(Int64(self.state.withLockedValue { $0.login.backchannelLogoutTimeout } * 1000))
        Task {
            for (logout, token) in tokens {
                var delivery = BackchannelLogoutDelivery(
                    clientID: logout.clientID, uri: logout.uri, sessionID: logout.sessionID, status: nil, failure: nil
                )
                do {
                    var request = HTTPClientRequest(url: logout.uri)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                    request.body = .bytes(ByteBuffer(string: IssuerForm.encode([("logout_token", token)])))
                    let response = try await client.execute(request, timeout: timeout)
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                    delivery.status = Int(response.status.code)
                } catch {
                    delivery.failure = "\(error)"
                }
                state.withLockedValue { $0.login.backchannelLogoutDeliveries.append(delivery) }
            }
        }
    }

    /// The shared HTTP client, or with ``Configuration/backchannelLogoutCAFile`` one that trusts that CA (made once).
    private func backchannelClient() -> HTTPClient {
        guard let caFile = self.state.withLockedValue({ $0.login.backchannelLogoutCAFile }) else {
            return HTTPClient.shared
        }
        return self.backchannelHTTPClient.withLockedValue { existing in
            if let existing {
                return existing
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
            existing = client
            return client
        }
    }
}
