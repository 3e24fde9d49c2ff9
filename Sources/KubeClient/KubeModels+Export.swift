/// The plain Kubernetes models (objects' metadata, lists, resources, `Status`, list options, API errors) live in
/// ``KubeModels``, which has no networking, so that code which only computes objects can depend on them alone.
/// Re-exported so that `import KubeClient` keeps bringing them.
@_exported public import KubeModels
