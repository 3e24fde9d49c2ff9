public import ServiceLifecycle

/// Runs `work` every `interval` (first after one interval) until graceful shutdown or cancellation: the loop of the
/// services that poll or tidy up in the background.
public func repeatUntilShutdown(every interval: Duration, _ work: () async -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
        await work()
    }
}
