/// Limits for calls to the token endpoint.
public struct OIDCTokenClientConfiguration: Sendable, Hashable {
    /// The deadline for each token request (connect, headers and body). Default 10 seconds.
    public var requestTimeout: Duration
    /// The largest token response accepted, in bytes. Default 256 KiB (Keycloak tokens of users in many groups
    /// are large, and a response holds three of them).
    public var maximumResponseSize: Int

    /// Creates a configuration.
    public init(requestTimeout: Duration = .seconds(10), maximumResponseSize: Int = 256 * 1024) {
        self.requestTimeout = requestTimeout
        self.maximumResponseSize = maximumResponseSize
    }
}
