/// Why a kubeconfig could not be merged.
struct KubeconfigMergeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
