/// The listener, TLS, the strict request decoder and the management endpoints live in ``ServiceSupport``, which has
/// nothing of the proxy, so that services without a proxy (the RBAC controller) can use them alone.
/// Re-exported because this module's API is built on them (``ForwardingServer`` takes a `ListenerConfiguration`,
/// refusals carry a `ClientRequestError`), so that `import ProxyCore` keeps bringing them.
@_exported public import ServiceSupport
