import ArgumentParser

/// How a subcommand reaches the Kubernetes API server: a kubeconfig and its context, or in-cluster configuration.
struct KubeconfigOptions: ParsableArguments {
    @Option(help: "kubeconfig for reaching the API server (current context). Without it: in a pod the service account, else $KUBECONFIG, else ~/.kube/config.")
    var kubeconfig: String?

    @Option(help: "Context of --kubeconfig to use instead of the current one.")
    var kubeContext: String?

    /// The config file keys these flags use.
    static let settingNames: Set<String> = ["kubeconfig", "kube-context"]

    /// The flags merged over `file`: the kubeconfig (`nil`: in-cluster) and its context.
    func resolve(file: inout ConfigFile) -> (kubeconfig: String?, context: String?) {
        (kubeconfig ?? file.string("kubeconfig"), kubeContext ?? file.string("kube-context"))
    }
}
