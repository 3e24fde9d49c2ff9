public import Foundation
public import OIDC

/// Runs ``DeviceGrantPolling`` with a clock, a sleep and a poll function (tests pass a fake clock and sleep).
public enum DeviceGrantPoller {
    /// Polls until the login finishes or fails.
    ///
    /// - Throws: ``KubeLoginError`` when the login fails, expires, is denied, or the task is cancelled.
    public static func run(
        _ polling: DeviceGrantPolling,
        now: @Sendable () -> Date,
        sleep: @Sendable (TimeInterval) async throws -> Void,
        poll: @Sendable () async throws(OIDCTokenEndpointError) -> OIDCTokenResponse
    ) async throws(KubeLoginError) -> OIDCTokenResponse {
        var polling = polling
        var action = polling.start(now: now())
        while true {
            switch action {
            case .finished(let response):
                return response
            case .failed(let error):
                throw error
            case .poll(let seconds):
                do {
                    try await sleep(seconds)
                } catch {
                    throw KubeLoginError("the device login was cancelled")
                }
                let answer: DeviceGrantPolling.Answer
                do throws(OIDCTokenEndpointError) {
                    answer = .tokens(try await poll())
                } catch {
                    answer = DeviceGrantPolling.Answer(error)
                }
                action = polling.next(after: answer, now: now())
            }
        }
    }
}
