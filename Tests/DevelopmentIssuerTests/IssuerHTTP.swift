import AsyncHTTPClient
import DevelopmentIssuer
import Foundation
import NIOCore
import NIOHTTP1

/// A plain HTTP answer as the tests read it.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var text: String

    /// The `Location` header.
    var location: String? {
        self.headers.first(name: "Location")
    }
}

/// A client that does not follow redirects, for one test; shut down by ``withHTTP(_:)``.
func withHTTP<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

extension HTTPClient {
    /// `GET url`.
    func get(_ url: String, headers: [(String, String)] = []) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        return try await self.answer(request)
    }

    /// `POST url` with a form body.
    func postForm(_ url: String, _ pairs: [(String, String)], headers: [(String, String)] = []) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: formEncode(pairs)))
        return try await self.answer(request)
    }

    private func answer(_ request: HTTPClientRequest) async throws -> HTTPAnswer {
        let response = try await self.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers, text: String(buffer: body))
    }
}

/// `application/x-www-form-urlencoded`.
func formEncode(_ pairs: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return pairs.map {
        ($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "="
            + ($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }.joined(separator: "&")
}

/// The members of a JSON object answer.
func jsonObject(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// A started sandbox-shaped issuer for `body`, shut down after.
func withIssuer<T>(
    _ configuration: DevelopmentIssuer.Configuration,
    key: SigningKey = SharedKey.rsa,
    port: Int = 0,
    _ body: (DevelopmentIssuer) async throws -> T
) async throws -> T {
    let issuer = DevelopmentIssuer(configuration: configuration, key: key)
    try await issuer.start(port: port)
    do {
        let result = try await body(issuer)
        try await issuer.shutdown()
        return result
    } catch {
        try? await issuer.shutdown()
        throw error
    }
}

/// One generated key for the tests of this target that do not care which.
enum SharedKey {
    static let rsa = SigningKey.generate()
}
