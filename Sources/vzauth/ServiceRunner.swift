import Logging
import ServiceLifecycle
import UnixSignals

/// Runs a command's long-lived services in one `ServiceGroup` until SIGTERM or SIGINT, for every subcommand that
/// serves (both proxies and the RBAC controller).
enum ServiceRunner {
    /// Runs `services` until SIGTERM or SIGINT, then lets them drain; `cleanup` runs afterwards either way (for what
    /// outlives the group, such as an HTTP client).
    static func run(_ services: [any Service], logger: Logger, cleanup: () async -> Void) async throws {
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }
}
