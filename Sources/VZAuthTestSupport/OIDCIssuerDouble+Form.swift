import Crypto
import Foundation

/// Form encoding, cookies and small response helpers of the double's login endpoints.
enum IssuerDoubleForm {
    /// Parses `application/x-www-form-urlencoded` text; `nil` if a name repeats or an escape is invalid.
    static func decode(_ text: String) -> [String: String]? {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard
                let name = Self.unescape(parts[0]),
                let value = parts.count > 1 ? Self.unescape(parts[1]) : ""
            else {
                return nil
            }
            guard result.updateValue(value, forKey: name) == nil else {
                return nil
            }
        }
        return result
    }

    private static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Encodes name/value pairs (unreserved characters kept, everything else `%XX`).
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&")
    }

    private static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `url` with `pairs` appended as query parameters.
    static func appendingQuery(_ pairs: [(String, String)], to url: String) -> String {
        url + (url.contains("?") ? "&" : "?") + Self.encode(pairs)
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func cookie(_ name: String, in request: OIDCIssuerDouble.Request) -> String? {
        for header in request.headers where header.name.lowercased() == "cookie" {
            for part in header.value.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name {
                    return String(pair[1])
                }
            }
        }
        return nil
    }

    /// The first header named `name` (case-insensitive).
    static func header(_ name: String, in request: OIDCIssuerDouble.Request) -> String? {
        request.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// 32 random bytes, base64url.
    static func randomToken() -> String {
        TokenBase64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    /// `base64url(SHA-256(verifier))`.
    static func s256Challenge(_ verifier: String) -> String {
        TokenBase64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }

    /// A Keycloak-style OAuth error answer.
    static func oauthError(_ error: String, _ description: String, status: Int = 400) -> OIDCIssuerDouble.Response {
        .json(TokenJSON.object(["error": .string(error), "error_description": .string(description)]).jsonString, status: status)
    }

    /// An HTML page.
    static func page(_ title: String, body: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> OIDCIssuerDouble.Response {
        let html = "<!DOCTYPE html><html><head><title>\(title)</title></head><body>\(body)</body></html>"
        return OIDCIssuerDouble.Response(
            status: status,
            headers: [("Content-Type", "text/html; charset=utf-8")] + headers,
            body: Array(html.utf8)
        )
    }

    /// A 302 to `location`.
    static func redirect(_ location: String, headers: [(name: String, value: String)] = []) -> OIDCIssuerDouble.Response {
        OIDCIssuerDouble.Response(status: 302, headers: [("Location", location)] + headers)
    }
}
