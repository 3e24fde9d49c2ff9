/// The tests' Kubernetes API server is the emulator `vzauth sandbox` runs (``KubeEmulator/KubeAPIEmulator``).
/// Re-exported so that `import VZAuthTestSupport` keeps bringing it.
@_exported public import KubeEmulator
