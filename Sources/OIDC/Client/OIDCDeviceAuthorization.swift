public import Foundation

/// A device authorization response (RFC 8628 §3.2): the codes of one device login and where the user approves it.
///
/// - Important: ``description`` leaves out the device code (a bearer secret until it is exchanged); the user code
///   and the URLs are meant to be shown to the user.
public struct OIDCDeviceAuthorization: Sendable, Hashable, CustomStringConvertible {
    /// `device_code`: what the client polls the token endpoint with.
    public var deviceCode: String
    /// `user_code`: what the user types at ``verificationURI`` (Keycloak: `ABCD-EFGH`).
    public var userCode: String
    /// `verification_uri`: the page where the user enters the user code.
    public var verificationURI: String
    /// `verification_uri_complete`, when sent: the page with the user code filled in.
    public var verificationURIComplete: String?
    /// `expires_in`: seconds until the device code expires.
    public var expiresIn: TimeInterval
    /// `interval`: the least number of seconds between polls; 5 when not sent (RFC 8628 §3.2).
    public var interval: TimeInterval
    /// When the response was received (the base of ``expiresAt``).
    public var receivedAt: Date

    /// Creates a response from its members.
    public init(
        deviceCode: String,
        userCode: String,
        verificationURI: String,
        verificationURIComplete: String? = nil,
        expiresIn: TimeInterval,
        interval: TimeInterval = 5,
        receivedAt: Date
    ) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.expiresIn = expiresIn
        self.interval = interval
        self.receivedAt = receivedAt
    }

    /// When the device code expires.
    public var expiresAt: Date {
        self.receivedAt.addingTimeInterval(self.expiresIn)
    }

    /// The user code and URLs, never the device code.
    public var description: String {
        "OIDCDeviceAuthorization(userCode: \(self.userCode), verificationURI: \(self.verificationURI), "
            + "expiresIn: \(self.expiresIn), interval: \(self.interval), deviceCode: <redacted>)"
    }

    /// Parses a 200 answer of the device authorization endpoint.
    ///
    /// - Throws: ``OIDCTokenEndpointError/malformedResponse`` when a required member (`device_code`, `user_code`,
    ///   `verification_uri`, `expires_in`) is missing or a member has the wrong type.
    public init(json: [String: StrictJSONValue], receivedAt: Date) throws(OIDCTokenEndpointError) {
        func string(_ name: String, required: Bool) throws(OIDCTokenEndpointError) -> String? {
            switch json[name] {
            case .none, .null?:
                if required {
                    throw OIDCTokenEndpointError.malformedResponse.with(message: "device authorization response has no \(name)")
                }
                return nil
            case .string(let value)? where !value.isEmpty:
                return value
            default:
                throw OIDCTokenEndpointError.malformedResponse.with(
                    message: "device authorization response member \(name) is not a non-empty string")
            }
        }
        func seconds(_ name: String) throws(OIDCTokenEndpointError) -> TimeInterval? {
            switch json[name] {
            case .none, .null?:
                return nil
            case .number(let value)? where value > 0:
                return value
            default:
                throw OIDCTokenEndpointError.malformedResponse.with(
                    message: "device authorization response member \(name) is not a positive number")
            }
        }
        guard let expiresIn = try seconds("expires_in") else {
            throw OIDCTokenEndpointError.malformedResponse.with(message: "device authorization response has no expires_in")
        }
        let deviceCode = try string("device_code", required: true) ?? ""
        let userCode = try string("user_code", required: true) ?? ""
        // Some early providers (Google) say `verification_url`.
        var verificationURI = try string("verification_uri", required: json["verification_url"] == nil)
        if verificationURI == nil {
            verificationURI = try string("verification_url", required: true)
        }
        self.init(
            deviceCode: deviceCode,
            userCode: userCode,
            verificationURI: verificationURI ?? "",
            verificationURIComplete: try string("verification_uri_complete", required: false),
            expiresIn: expiresIn,
            interval: try seconds("interval") ?? 5,
            receivedAt: receivedAt
        )
    }
}
