import Foundation

/// What kubectl tells an exec credential plugin in the `KUBERNETES_EXEC_INFO` environment variable (an
/// `ExecCredential` whose `spec` is filled in): above all whether the plugin may talk to the user.
public struct KubernetesExecInfo: Sendable, Hashable {
    /// The environment variable kubectl sets.
    public static let environmentVariable = "KUBERNETES_EXEC_INFO"

    /// `spec.interactive`: whether stdin is the user's terminal, so the plugin may prompt.
    public var interactive: Bool

    /// Creates the information.
    public init(interactive: Bool) {
        self.interactive = interactive
    }

    /// Reads `KUBERNETES_EXEC_INFO` from `environment`; `nil` when it is not set (the plugin was run by hand) or is
    /// not an ExecCredential of a known version.
    public init?(environment: [String: String]) {
        guard let text = environment[Self.environmentVariable], !text.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              object["kind"] as? String == ExecCredential.kind,
              let apiVersion = object["apiVersion"] as? String,
              apiVersion.hasPrefix("client.authentication.k8s.io/")
        else {
            return nil
        }
        let spec = object["spec"] as? [String: Any]
        self.init(interactive: spec?["interactive"] as? Bool ?? false)
    }

    /// Whether prompting is allowed: `spec.interactive` when kubectl ran the plugin, else whether stdin is a
    /// terminal (`stdinIsTerminal`).
    public static func allowsPrompting(environment: [String: String], stdinIsTerminal: Bool) -> Bool {
        KubernetesExecInfo(environment: environment)?.interactive ?? stdinIsTerminal
    }
}
