import NIOCore
import OIDC
import ProxyCore
import ServiceLifecycle
@testable import vzauth

/// Runs a proxy's services in a service group, waits until the issuer's keys are loaded, then runs `body` with the
/// proxy's and the management listener's ports. The services are stopped and released whether `body` passed or
/// failed (a failed `#require` throws); the result is `body`'s.
func withRunningProxy(_ services: ProxyServices, waitForKeys: Bool = true,
                      _ body: (_ proxyPort: Int, _ managementPort: Int) async throws -> Void) async throws {
    let group = ServiceGroup(services: services.all, logger: services.logger)
    let outcome = await Result {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            let proxyPort = try await services.server.localAddress.port!
            let managementPort = try await services.management.localAddress.port!
            let deadline = ContinuousClock.now + .seconds(10)
            while waitForKeys, !services.keyProviders.allSatisfy(\.isReady), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let outcome = await Result { try await body(proxyPort, managementPort) }
            await group.triggerGracefulShutdown()
            try outcome.get()
        }
    }
    await services.shutdown()
    try outcome.get()
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing closure.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
