/// Why `vzauth login` could not produce a credential: one line naming the problem and what to do about it.
///
/// - Important: Never carries a token, password or secret.
public struct KubeLoginError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message shown to the user.
    public let message: String

    /// Creates an error with its message.
    public init(_ message: String) {
        self.message = message
    }

    /// ``message``.
    public var description: String {
        self.message
    }
}
