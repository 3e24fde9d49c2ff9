import ArgumentParser

/// How a proxy words the help of the one ``ServerOptions`` flag whose meaning differs between the proxies.
protocol ServerOptionsHelp {
    /// The help of `--listen`.
    static var listen: String { get }
}

/// A proxy's listener, TLS, shutdown, thread and log flags (resolved by ``ServerSettings``). Every option is optional
/// so that a `--config` file can supply it; the defaults are applied when the settings are resolved.
struct ServerOptions<Help: ServerOptionsHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.listen))
    var listen: String?

    @Option(help: "Address for /healthz, /readyz and /metrics, HOST:PORT. (default: 0.0.0.0:8776)")
    var managementListen: String?

    @Option(help: "PEM certificate chain to serve TLS with (re-read when it changes). Without it: plain HTTP.")
    var tlsCertFile: String?

    @Option(help: "PEM private key for --tls-cert-file.")
    var tlsPrivateKeyFile: String?

    @Option(help: "Seconds in-flight requests may take to finish after SIGTERM. (default: 20)")
    var shutdownGracePeriod: Double?

    @Option(help: "Client connections open at once; more are answered 503. (default: half the open-file limit)")
    var maxConnections: Int?

    @Option(help: "Seconds a client may take to send a request head; then the connection is closed. (default: 30)")
    var requestHeaderTimeout: Double?

    @Option(help: "Seconds a kept-alive client connection may wait for its next request. (default: 120)")
    var idleTimeout: Double?

    @Option(help: "Seconds the upstream may take to start a response once it has the whole request; then 504. (default: 60)")
    var upstreamResponseHeaderTimeout: Double?

    @Option(help: "Event loop threads serving connections. (default: one per core)")
    var eventLoopThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    var logLevel: String?

    @Option(help: "Log line format: text (key=value, for people) or json (one object a line, for log pipelines). (default: text)")
    var logFormat: String?
}
