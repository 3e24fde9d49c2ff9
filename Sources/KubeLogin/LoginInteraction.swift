/// How a login talks to the user: messages (stderr), prompts (only when allowed), opening a browser. Tests and the
/// command fill it in; nothing here writes to stdout, which is kubectl's.
public struct LoginInteraction: Sendable {
    /// Shows a line to the user (stderr).
    public var message: @Sendable (String) -> Void
    /// Whether the user may be prompted (`KUBERNETES_EXEC_INFO`'s `spec.interactive`, or a terminal).
    public var mayPrompt: Bool
    /// Asks for a line (the user name), `nil` at end of input.
    public var readLine: @Sendable (_ prompt: String) -> String?
    /// Asks for a secret without echo (the password), `nil` if it cannot.
    public var readSecret: @Sendable (_ prompt: String) -> String?
    /// Tries to open `url` in a browser.
    public var openBrowser: @Sendable (_ url: String) -> Void

    /// Creates an interaction.
    public init(
        message: @escaping @Sendable (String) -> Void,
        mayPrompt: Bool,
        readLine: @escaping @Sendable (String) -> String? = { _ in nil },
        readSecret: @escaping @Sendable (String) -> String? = { _ in nil },
        openBrowser: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.message = message
        self.mayPrompt = mayPrompt
        self.readLine = readLine
        self.readSecret = readSecret
        self.openBrowser = openBrowser
    }
}
