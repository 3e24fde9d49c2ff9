/// The Kubernetes RBAC objects the desired state is made of (`ClusterRole`, `RoleBinding`, `Subject`, ...) are plain
/// Kubernetes models and live in ``KubeModels``. Re-exported so that `import VerrazzanoRBAC` keeps bringing them.
@_exported public import KubeModels
