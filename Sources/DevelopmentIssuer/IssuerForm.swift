import Crypto
import Foundation
import TextEscaping

/// Form encoding, cookies and small response helpers of the issuer's login endpoints.
enum IssuerForm {
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
    static func cookie(_ name: String, in request: DevelopmentIssuer.Request) -> String? {
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
    static func header(_ name: String, in request: DevelopmentIssuer.Request) -> String? {
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
    static func oauthError(_ error: String, _ description: String, status: Int = 400) -> DevelopmentIssuer.Response {
        .json(TokenJSON.object(["error": .string(error), "error_description": .string(description)]).jsonString, status: status)
    }

    /// The style of every page: plain, readable, no scripts.
    private static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f4f6;color:#1f2937;margin:0}
        .banner{background:#b91c1c;color:#fff;text-align:center;padding:.4em;font-size:.9em}
        main{max-width:24em;margin:3em auto;background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
        h1{font-size:1.3em;margin-top:0}.realm{color:#6b7280;font-size:.9em;margin-top:-.5em}
        label{display:block;margin:1em 0 .3em;font-weight:600}
        input[type=text],input[type=password],input:not([type]){width:100%;box-sizing:border-box;padding:.5em;border:1px solid #9ca3af;border-radius:4px;font-size:1em}
        .buttons{margin-top:1.5em;display:flex;gap:.5em}
        input[type=submit]{padding:.55em 1.2em;border:0;border-radius:4px;background:#1d4ed8;color:#fff;font-size:1em;cursor:pointer}
        input[type=submit].secondary{background:#6b7280}
        .error{display:block;background:#fee2e2;color:#991b1b;border:1px solid #fca5a5;padding:.6em;border-radius:4px;margin-bottom:1em}
        code{font-size:1.1em}
        """

    /// An HTML page (no scripts): a banner saying this is a development issuer, the title as a heading and, if
    /// given and not already in the title, the realm under it, then `body` (trusted HTML).
    static func page(
        _ title: String, body: String, realm: String? = nil, status: Int = 200, headers: [(name: String, value: String)] = []
    ) -> DevelopmentIssuer.Response {
        let realmLine = realm.flatMap { title.contains($0) ? nil : $0 }.map { "<p class=\"realm\">Realm <strong>\(HTMLText.escaped($0))</strong></p>" } ?? ""
        let html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<title>\(HTMLText.escaped(title))</title><style>\(Self.style)</style></head><body>"
            + "<div class=\"banner\">vzauth development issuer — not for production</div>"
            + "<main><h1 id=\"kc-header\">\(HTMLText.escaped(title))</h1>\(realmLine)\(body)</main></body></html>"
        return DevelopmentIssuer.Response(
            status: status,
            headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")] + headers,
            body: Array(html.utf8)
        )
    }

    /// The login form (Keycloak's element ids: `kc-form-login`, `username`, `password`, `kc-login`, and
    /// `input-error` for the error), posting to `action` (`nil`: the same URL), the username field filled with
    /// `username` (after a wrong password, as Keycloak does).
    static func loginForm(
        action: String?, error: String?, username: String? = nil, hidden: [(String, String)] = [], cancel: Bool = false
    ) -> String {
        let message = error.map { "<span id=\"input-error\" class=\"error\" role=\"alert\">\(HTMLText.escaped($0))</span>" } ?? ""
        let actionAttribute = action.map { " action=\"\(HTMLText.escaped($0))\"" } ?? ""
        let hiddenInputs = hidden.map {
            "<input type=\"hidden\" name=\"\(HTMLText.escaped($0.0))\" value=\"\(HTMLText.escaped($0.1))\">"
        }.joined()
        let cancelButton = cancel ? "<input id=\"kc-cancel\" class=\"secondary\" name=\"cancel\" type=\"submit\" value=\"Cancel\">" : ""
        return message + "<form id=\"kc-form-login\" method=\"post\"\(actionAttribute)>" + hiddenInputs
            + "<label for=\"username\">Username</label>"
            + "<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" autofocus required"
            + (username.map { " value=\"\(HTMLText.escaped($0))\"" } ?? "") + ">"
            + "<label for=\"password\">Password</label>"
            + "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
            + "<div class=\"buttons\"><input id=\"kc-login\" type=\"submit\" value=\"Sign In\">\(cancelButton)</div></form>"
    }

    /// A 302 to `location`.
    static func redirect(_ location: String, headers: [(name: String, value: String)] = []) -> DevelopmentIssuer.Response {
        DevelopmentIssuer.Response(status: 302, headers: [("Location", location)] + headers)
    }
}
