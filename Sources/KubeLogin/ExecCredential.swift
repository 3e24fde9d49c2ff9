public import Foundation

/// The answer of a kubectl exec credential plugin (`client.authentication.k8s.io/v1`, kind `ExecCredential`):
/// a bearer token and when it expires, so kubectl reuses it until then and runs the plugin again afterwards.
///
/// - Important: ``jsonText()`` contains the token; print it to stdout only, never log it. ``description`` leaves
///   the token out.
public struct ExecCredential: Sendable, Hashable, CustomStringConvertible {
    /// The API version kubectl asks for and this plugin answers with.
    public static let apiVersion = "client.authentication.k8s.io/v1"
    /// The object kind.
    public static let kind = "ExecCredential"

    /// The bearer token kubectl sends.
    public var token: String
    /// When the token expires (`status.expirationTimestamp`); `nil`: kubectl keeps the token until a 401.
    public var expirationTimestamp: Date?
    /// `spec.interactive` as kubectl sent it in `KUBERNETES_EXEC_INFO`, echoed back.
    public var interactive: Bool

    /// Creates a credential.
    public init(token: String, expirationTimestamp: Date?, interactive: Bool = false) {
        self.token = token
        self.expirationTimestamp = expirationTimestamp
        self.interactive = interactive
    }

    /// The JSON kubectl reads from the plugin's stdout (keys sorted, one line, no trailing newline):
    /// `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false},
    /// "status":{"expirationTimestamp":"2026-01-02T03:04:05Z","token":"..."}}`.
    public func jsonText() -> String {
        var status: [String: String] = ["token": self.token]
        if let expirationTimestamp {
            status["expirationTimestamp"] = Self.rfc3339(expirationTimestamp)
        }
        let object = Document(apiVersion: Self.apiVersion, kind: Self.kind, spec: .init(interactive: self.interactive), status: status)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and booleans cannot fail.
        let data = (try? encoder.encode(object)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 3339 in UTC with whole seconds (`2026-01-02T03:04:05Z`), as Kubernetes writes `metav1.Time`.
    public static func rfc3339(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func padded(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.year, 4) + "-" + padded(parts.month, 2) + "-" + padded(parts.day, 2) + "T"
            + padded(parts.hour, 2) + ":" + padded(parts.minute, 2) + ":" + padded(parts.second, 2) + "Z"
    }

    /// The expiry and whether the token is present; never the token.
    public var description: String {
        "ExecCredential(expirationTimestamp: \(self.expirationTimestamp.map(Self.rfc3339) ?? "nil"), token: <redacted>)"
    }

    private struct Document: Encodable {
        struct Spec: Encodable {
            var interactive: Bool
        }

        var apiVersion: String
        var kind: String
        var spec: Spec
        var status: [String: String]
    }
}
