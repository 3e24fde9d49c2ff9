extension KubeAPIServerDouble {
    /// Makes the next `count` resource requests that `matching` accepts fail with `status` and a `Status` body
    /// carrying `reason`, `message` and `details` (name, group, kind as the resource), without acting on them (nothing is stored, no watch is opened).
    ///
    /// Failures are injected after authentication and authorization (a refused request stays refused and does
    /// not use up a failure) and before the request acts. Discovery, `/version` and other non-resource paths are
    /// never failed. Rules from several calls are used in the order they were added. `matching` runs outside the
    /// double's lock, so it may read the double, but it should be quick. Failed requests are still recorded in
    /// ``requests``.
    ///
    /// ```swift
    /// server.injectFailures(count: 2, status: 409, reason: "Conflict", message: "try again") {
    ///     $0.verb == "update" && $0.resource == "roles"
    /// }
    /// ```
    public func injectFailures(
        count: Int,
        status: Int = 500,
        reason: String = "InternalError",
        message: String = "injected failure",
        matching: @escaping @Sendable (AccessRequest) -> Bool = { _ in true }
    ) {
        guard count > 0 else { return }
        self.state.withLock { state in
            state.injectedFailures.append(KubeDoubleInjectedFailure(
                id: state.nextInjectedFailureID, remaining: count, status: status, reason: reason, message: message,
                matching: matching))
            state.nextInjectedFailureID += 1
        }
    }

    /// How many injected failures are still to be delivered, over all rules.
    public var injectedFailuresRemaining: Int {
        self.state.withLock { $0.injectedFailures.reduce(0) { $0 + $1.remaining } }
    }

    /// The injected failure response for `access`, using one up; `nil` when no rule matches.
    func takeInjectedFailure(_ access: AccessRequest) -> KubeDoubleResponse? {
        while true {
            let rules = self.state.withLock { $0.injectedFailures }
            guard let rule = rules.first(where: { $0.remaining > 0 && $0.matching(access) }) else { return nil }
            let taken = self.state.withLock { state -> Bool in
                guard let index = state.injectedFailures.firstIndex(where: { $0.id == rule.id }),
                      state.injectedFailures[index].remaining > 0 else { return false }
                state.injectedFailures[index].remaining -= 1
                if state.injectedFailures[index].remaining == 0 {
                    state.injectedFailures.remove(at: index)
                }
                return true
            }
            if taken {
                var details: KubeDoubleJSON = ["group": .string(access.group), "kind": .string(access.resource)]
                if let name = access.name { details["name"] = .string(name) }
                return .status(rule.status, reason: rule.reason, message: rule.message, details: details)
            }
        }
    }
}

/// One ``KubeAPIServerDouble/injectFailures(count:status:reason:message:matching:)`` rule and how many
/// failures it still owes.
struct KubeDoubleInjectedFailure: Sendable {
    var id: Int
    var remaining: Int
    var status: Int
    var reason: String
    var message: String
    var matching: @Sendable (KubeAPIServerDouble.AccessRequest) -> Bool
}
