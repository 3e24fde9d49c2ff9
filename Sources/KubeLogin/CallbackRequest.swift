import Foundation

/// What one request to the loopback redirect server means for the login (RFC 8252 §7.3): a pure function of the
/// request line and the `state` the login was started with.
public enum CallbackRequest: Sendable, Hashable {
    /// The provider sent the browser back with a code for this login: finish the login with it.
    case code(String)
    /// The provider sent the browser back with an error for this login (`access_denied`, ...): the login failed.
    case providerError(error: String, description: String?)
    /// Not the callback of this login (another path, another method, a wrong or missing `state`): answer `status`
    /// with `message` and keep waiting.
    case refused(status: Int, message: String)

    /// The path of the redirect URI.
    public static let path = "/callback"

    /// Reads a request to the loopback server.
    ///
    /// - Parameters:
    ///   - method: The request method; only `GET` is a callback.
    ///   - uri: The request target, `/callback?code=...&state=...`.
    ///   - expectedState: The `state` of the authorization request.
    public static func evaluate(method: String, uri: String, expectedState: String) -> CallbackRequest {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.first.map(String.init) == Self.path else {
            return .refused(status: 404, message: "Not found.")
        }
        guard method == "GET" else {
            return .refused(status: 405, message: "Method not allowed.")
        }
        guard let parameters = Self.queryParameters(parts.count > 1 ? String(parts[1]) : "") else {
            return .refused(status: 400, message: "The request is malformed.")
        }
        guard let state = parameters["state"], !expectedState.isEmpty, ConstantTimeCompare.equal(state, expectedState) else {
            return .refused(status: 400, message: "This is not the login vzauth started (wrong or missing state). Start again with vzauth login.")
        }
        if let error = parameters["error"] {
            return .providerError(error: error, description: parameters["error_description"])
        }
        guard let code = parameters["code"], !code.isEmpty else {
            return .refused(status: 400, message: "The provider sent neither a code nor an error.")
        }
        return .code(code)
    }

    /// `name=value&...` form-decoded; `nil` when a name repeats or an escape is invalid.
    static func queryParameters(_ query: String) -> [String: String]? {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                return nil
            }
            guard result.updateValue(value, forKey: name) == nil else {
                return nil
            }
        }
        return result
    }
}
