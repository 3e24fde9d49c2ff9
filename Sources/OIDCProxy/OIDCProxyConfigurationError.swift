/// An invalid OIDC proxy setting, found when the configuration is built (before anything listens).
public struct OIDCProxyConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the setting.
    public let message: String

    /// Creates the error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
