/// What the API proxy does with requests, independent of where it listens.
public struct APIProxyConfiguration: Sendable {
    /// The version prefix the console puts before Kubernetes paths (`/20210501`); removed before forwarding.
    public var apiPathPrefix: String = "/20210501"
    /// Cross-origin rules.
    public var cors: CORSPolicy = CORSPolicy()
    /// The group every authenticated user belongs to, added unless the token already carries it.
    public var authenticatedGroup: String = "system:authenticated"

    /// Creates a configuration with the defaults.
    public init(apiPathPrefix: String = "/20210501", cors: CORSPolicy = CORSPolicy()) {
        self.apiPathPrefix = apiPathPrefix
        self.cors = cors
    }
}
