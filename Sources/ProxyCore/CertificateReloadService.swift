public import Logging
public import ServiceLifecycle
public import ServiceSupport

/// Polls the serving certificate files and installs a new TLS context when they change.
public struct CertificateReloadService: Service {
    private let provider: ServerTLSContextProvider
    private let interval: Duration
    private let logger: Logger

    /// Creates the service; `interval` is how often the files are checked.
    public init(provider: ServerTLSContextProvider, interval: Duration = .seconds(10), logger: Logger) {
        self.provider = provider
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            do {
                if try provider.reloadIfChanged() {
                    logger.info("serving certificate reloaded")
                }
            } catch {
                logger.error("cannot load the changed serving certificate; keeping the previous one", metadata: ["error": "\(error)"])
            }
        }
    }
}
