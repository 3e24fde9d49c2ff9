import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOFoundationCompat

extension OIDCKeyProvider {
    /// Fetches and parses the discovery document, checking its `issuer`.
    ///
    /// With the default discovery URL (derived from the issuer) the document's `issuer` must equal the configured
    /// issuer, as OpenID Connect Discovery requires. With an explicit (in-cluster) discovery URL a mismatch is
    /// only logged: some providers derive `issuer` from the request's host.
    func fetchDiscoveryDocument() async throws(KeyLoadFailure) -> OIDCDiscoveryDocument {
        let url = self.configuration.effectiveDiscoveryURL
        let body = try await self.get(url, what: "discovery document")
        let document: OIDCDiscoveryDocument
        do {
            document = try OIDCDiscoveryDocument(jsonBytes: body.readableBytesView)
        } catch {
            throw KeyLoadFailure(reason: .invalidDocument, message: error.message)
        }
        if document.issuer != self.configuration.issuer {
            if self.configuration.discoveryURL == nil {
                throw KeyLoadFailure(
                    reason: .issuerMismatch,
                    message: "discovery document names issuer \(document.issuer), expected \(self.configuration.issuer)"
                )
            }
            self.logger.warning(
                "Discovery document names another issuer; tokens are still checked against the configured one",
                metadata: ["documentIssuer": "\(document.issuer)", "issuer": "\(self.configuration.issuer)"]
            )
        }
        return document
    }

    /// Fetches and parses the key set named by `discovery` (with `jwks_uri` rewritten for in-cluster access).
    func fetchKeySet(discovery: OIDCDiscoveryDocument) async throws(KeyLoadFailure) -> JSONWebKeySet {
        let url = self.configuration.internalURL(for: discovery.jwksURI)
        let body = try await self.get(url, what: "key set")
        do {
            return try JSONWebKeySet(jsonBytes: body.readableBytesView)
        } catch {
            throw KeyLoadFailure(reason: .invalidDocument, message: error.message)
        }
    }

    /// GET `url` with a deadline and a bounded body; only 200 is accepted.
    private func get(_ url: String, what: String) async throws(KeyLoadFailure) -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        if let tlsConfiguration = self.tlsConfiguration {
            request.tlsConfiguration = tlsConfiguration
        }
        let deadline = NIODeadline.now() + TimeAmount(self.configuration.requestTimeout)
        let response: HTTPClientResponse
        do {
            response = try await self.httpClient.execute(request, deadline: deadline, logger: self.logger)
        } catch {
            throw KeyLoadFailure(reason: .transport, message: "\(what): " + TransportFailure.describe(error, url: url))
        }
        guard response.status == .ok else {
            throw KeyLoadFailure(reason: .httpStatus, message: "\(what) request to \(url) answered \(response.status.code)")
        }
        do {
            return try await response.body.collect(upTo: self.configuration.maximumResponseSize)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw KeyLoadFailure(reason: .tooLarge, message: "\(what) from \(url) is larger than the limit")
        } catch {
            throw KeyLoadFailure(reason: .transport, message: "reading \(what) from \(url) failed: \(error)")
        }
    }
}
