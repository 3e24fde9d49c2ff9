import Foundation

extension OIDCTokenClient {
    /// Turns a token endpoint answer into a response or an error (RFC 6749 §5.1 and §5.2).
    ///
    /// - 200 with a JSON object: a token response (``OIDCTokenEndpointError/malformedResponse`` if unusable).
    /// - 400 or 401 with a JSON object whose `error` is a string: a rejection, unless the code is `server_error`
    ///   or `temporarily_unavailable` (then ``OIDCTokenEndpointError/serverError``).
    /// - 5xx: ``OIDCTokenEndpointError/serverError``; anything else: ``OIDCTokenEndpointError/unexpectedStatus``.
    static func interpret(
        status: Int,
        body: [UInt8],
        secrets: [String],
        receivedAt: Date
    ) throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        let json = StrictJSONValue(parsing: body)?.objectValue
        switch status {
        case 200:
            guard let json else {
                throw OIDCTokenEndpointError.notJSON.with(message: "token endpoint answered 200 without a JSON object", upstreamStatus: status)
            }
            do throws(OIDCTokenEndpointError) {
                return try Self.tokenResponse(json, receivedAt: receivedAt)
            } catch {
                throw error.with(message: error.message, upstreamStatus: status)
            }
        case 400...499 where status != 408 && status != 429:
            // RFC 6749 §5.2 names 400 and 401, but providers answer a refused client or user with 403 too (a
            // confidential password client without its secret): an OAuth error is the user's or the
            // configuration's, never a sign that the provider is down.
            guard let json, case .string(let code)? = json["error"] else {
                throw OIDCTokenEndpointError.unexpectedStatus.with(
                    message: "token endpoint answered \(status) without an OAuth error",
                    upstreamStatus: status
                )
            }
            if code == "server_error" || code == "temporarily_unavailable" {
                throw OIDCTokenEndpointError.serverError.with(message: "token endpoint reported \(code)", upstreamStatus: status)
            }
            let rejection = OIDCTokenEndpointError.rejection(oauthError: code)
            var message = "token request refused: \(rejection.metricLabel)"
            if let description = Self.sanitizedDescription(json["error_description"]?.stringValue, secrets: secrets) {
                message += " (\(description))"
            }
            throw rejection.with(message: message, upstreamStatus: status)
        case 500...599:
            throw OIDCTokenEndpointError.serverError.with(message: "token endpoint answered \(status)", upstreamStatus: status)
        default:
            throw OIDCTokenEndpointError.unexpectedStatus.with(message: "token endpoint answered \(status)", upstreamStatus: status)
        }
    }

    private static func tokenResponse(
        _ json: [String: StrictJSONValue],
        receivedAt: Date
    ) throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        guard case .string(let accessToken)? = json["access_token"], !accessToken.isEmpty else {
            throw OIDCTokenEndpointError.malformedResponse.with(message: "token response has no access_token")
        }
        func string(_ name: String) throws(OIDCTokenEndpointError) -> String? {
            switch json[name] {
            case .none, .null?:
                return nil
            case .string(let value)?:
                return value
            default:
                throw OIDCTokenEndpointError.malformedResponse.with(message: "token response member \(name) is not a string")
            }
        }
        func seconds(_ name: String) throws(OIDCTokenEndpointError) -> TimeInterval? {
            switch json[name] {
            case .none, .null?:
                return nil
            case .number(let value)? where value >= 0:
                return value
            default:
                throw OIDCTokenEndpointError.malformedResponse.with(
                    message: "token response member \(name) is not a non-negative number"
                )
            }
        }
        return OIDCTokenResponse(
            accessToken: accessToken,
            tokenType: try string("token_type"),
            expiresIn: try seconds("expires_in"),
            refreshToken: try string("refresh_token"),
            refreshExpiresIn: try seconds("refresh_expires_in"),
            idToken: try string("id_token"),
            scope: try string("scope"),
            receivedAt: receivedAt
        )
    }

    /// The provider's `error_description`, made safe to log: withheld if it contains any value that was sent
    /// (code, verifier, refresh token, password, secret); otherwise printable ASCII only, words longer than 24
    /// characters replaced by `…`, at most 100 characters. `nil` if nothing is left.
    static func sanitizedDescription(_ text: String?, secrets: [String]) -> String? {
        guard let text, !text.isEmpty else {
            return nil
        }
        for secret in secrets where !secret.isEmpty && text.contains(secret) {
            return "description withheld"
        }
        let printable = String(
            String.UnicodeScalarView(text.unicodeScalars.prefix(400).map { (0x20...0x7E).contains($0.value) ? $0 : " " })
        )
        let words = printable.split(separator: " ").map { $0.count > 24 ? "…" : String($0) }
        var result = ""
        for word in words {
            let candidate = result.isEmpty ? word : result + " " + word
            guard candidate.count <= 100 else {
                break
            }
            result = candidate
        }
        return result.isEmpty ? nil : result
    }
}
