import Synchronization
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
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
            state.injectedFailures.append(KubeEmulatorInjectedFailure(
                id: state.nextInjectedFailureID, remaining: count,
                fault: .status(status, reason: reason, message: message), matching: matching))
            state.nextInjectedFailureID += 1
        }
    }

    /// Makes the next `count` resource requests that `matching` accepts go unanswered: the double reads the whole
    /// request and then sends nothing, not even a response head, keeping the connection open until the client
    /// closes it (or ``shutdown()``). Such a request is *held*; see ``heldResponseCount``.
    ///
    /// Requests are chosen as by ``injectFailures(count:status:reason:message:matching:)``, and the rules of all
    /// three are used in the order they were added. Like a hung server, the double reads nothing more on a held
    /// connection (no pipelined request, no TLS `close_notify`): a TLS client that closes it waits for its close
    /// timeout before the double sees the close.
    public func injectNoResponse(
        count: Int = 1,
        matching: @escaping @Sendable (AccessRequest) -> Bool = { _ in true }
    ) {
        self.addFault(count: count, .noResponse, matching: matching)
    }

    /// Makes the next `count` resource requests that `matching` accepts get a response head and `partialBody`, and
    /// then nothing more: the connection stays open, the body never ends. Such a request is *held*, as with
    /// ``injectNoResponse(count:matching:)``; see ``heldResponseCount``.
    ///
    /// - Parameters:
    ///   - status: The response status.
    ///   - contentType: The response's `Content-Type`.
    ///   - partialBody: The bytes sent after the head (in one chunk when chunked).
    ///   - contentLength: The `Content-Length` to announce (the length of the body that never comes in full);
    ///     `nil` for a chunked body.
    public func injectStalledBody(
        count: Int = 1,
        status: Int = 200,
        contentType: String = "application/json",
        partialBody: String,
        contentLength: Int? = nil,
        matching: @escaping @Sendable (AccessRequest) -> Bool = { _ in true }
    ) {
        let head = KubeEmulatorStalledHead(
            status: HTTPResponseStatus(statusCode: status), contentType: contentType, contentLength: contentLength)
        self.addFault(count: count, .stalledBody(head, partialBody: ByteBuffer(string: partialBody)), matching: matching)
    }

    /// Makes the next `count` resource requests that `matching` accepts get `200 OK` with an empty JSON body: for a
    /// watch, a stream that ends at once without an event (as a proxy in between that closes watches would make it).
    /// Requests are chosen as by ``injectFailures(count:status:reason:message:matching:)``.
    public func injectEmptyResponse(
        count: Int = 1,
        matching: @escaping @Sendable (AccessRequest) -> Bool = { _ in true }
    ) {
        self.addFault(count: count, .empty, matching: matching)
    }

    /// Held requests (``injectNoResponse(count:matching:)``, ``injectStalledBody(count:status:contentType:partialBody:contentLength:matching:)``)
    /// whose connection is still open.
    public var heldResponseCount: Int {
        self.state.withLock { $0.heldConnections.count }
    }

    /// Held requests whose connection the client closed (the double never closes one itself, except at
    /// ``shutdown()``): a proxy that gives up on a held request, or whose client went away, shows here.
    public var closedHeldResponseCount: Int {
        self.state.withLock { $0.closedHeldConnectionCount }
    }

    private func addFault(count: Int, _ fault: KubeEmulatorInjectedFailure.Fault,
                          matching: @escaping @Sendable (AccessRequest) -> Bool) {
        guard count > 0 else { return }
        self.state.withLock { state in
            state.injectedFailures.append(KubeEmulatorInjectedFailure(
                id: state.nextInjectedFailureID, remaining: count, fault: fault, matching: matching))
            state.nextInjectedFailureID += 1
        }
    }

    /// Registers a held request's connection (closed at ``shutdown()``); returns its id for ``releaseHeld(_:)``.
    func holdConnection(_ channel: any Channel) -> Int {
        self.state.withLock { state in
            let id = state.nextStreamID
            state.nextStreamID += 1
            state.heldConnections[id] = channel
            return id
        }
    }

    /// A held request's connection closed.
    func heldConnectionClosed(_ id: Int) {
        self.state.withLock { state in
            if state.heldConnections.removeValue(forKey: id) != nil {
                state.closedHeldConnectionCount += 1
            }
        }
    }

    /// How many injected failures are still to be delivered, over all rules.
    public var injectedFailuresRemaining: Int {
        self.state.withLock { $0.injectedFailures.reduce(0) { $0 + $1.remaining } }
    }

    /// The injected failure response for `access`, using one up; `nil` when no rule matches.
    func takeInjectedFailure(_ access: AccessRequest) -> KubeEmulatorResponse? {
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
            guard taken else { continue }
            switch rule.fault {
            case .status(let status, let reason, let message):
                var details: KubeEmulatorJSON = ["group": .string(access.group), "kind": .string(access.resource)]
                if let name = access.name { details["name"] = .string(name) }
                return .status(status, reason: reason, message: message, details: details)
            case .noResponse:
                return .hold(nil, partialBody: ByteBuffer())
            case .empty:
                return .full(status: .ok, contentType: "application/json", body: ByteBuffer())
            case .stalledBody(let head, let partialBody):
                return .hold(head, partialBody: partialBody)
            }
        }
    }
}

/// One injected fault rule (``KubeAPIEmulator/injectFailures(count:status:reason:message:matching:)`` and its
/// siblings) and how many faults it still owes.
struct KubeEmulatorInjectedFailure: Sendable {
    /// What a matching request gets.
    enum Fault: Sendable {
        /// A failure `Status`.
        case status(Int, reason: String, message: String)
        /// Nothing at all.
        case noResponse
        /// `200 OK` with an empty body.
        case empty
        /// A head and part of a body, then nothing.
        case stalledBody(KubeEmulatorStalledHead, partialBody: ByteBuffer)
    }

    var id: Int
    var remaining: Int
    var fault: Fault
    var matching: @Sendable (KubeAPIEmulator.AccessRequest) -> Bool
}

/// The head of a response whose body stalls.
struct KubeEmulatorStalledHead: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    /// The announced length; `nil` for chunked.
    var contentLength: Int?
}
