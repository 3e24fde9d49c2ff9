public import ServiceLifecycle

extension OIDCKeyProvider: Service {
    /// Loads the keys (retrying with exponential backoff until the first success), then refreshes them every
    /// ``OIDCProviderConfiguration/refreshInterval`` (after a failed refresh, retries sooner with backoff, keeping
    /// the old keys meanwhile). Returns on graceful shutdown or cancellation.
    public func run() async throws {
        var retryDelay = self.configuration.initialRetryDelay
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait: Duration
            do {
                try await self.load(trigger: self.isReady ? .periodic : .startup)
                retryDelay = self.configuration.initialRetryDelay
                wait = self.configuration.refreshInterval
            } catch {
                wait = min(retryDelay, self.configuration.refreshInterval)
                // Until the first success every request is refused with 503: retry (and say so in the log) at
                // least every 5 s.
                let ceiling = self.isReady ? self.configuration.maximumRetryDelay
                    : min(self.configuration.maximumRetryDelay, .seconds(5))
                retryDelay = min(retryDelay * 2, ceiling)
            }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: wait)
                }
            } catch {
                return
            }
        }
    }
}
