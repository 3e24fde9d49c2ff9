extension InMemoryForwarding {
    /// What a run left behind that the request-path invariants are about; ``InMemoryForwarding/observation`` takes
    /// it from a harness, tests of the checks make it by hand.
    public struct Observation: Sendable, Hashable {
        /// The bytes the proxy sent on each upstream connection.
        public var upstreamConnections: [[UInt8]]
        /// Whether the proxy closed each upstream connection (missing entries count as not closed).
        public var upstreamConnectionsClosedByProxy: [Bool]
        /// How many request heads the client connection's decoder produced.
        public var clientRequestHeads: Int
        /// Whether the harness stopped a call at its step budget.
        public var workLimitExceeded: Bool

        /// Creates an observation.
        public init(upstreamConnections: [[UInt8]], upstreamConnectionsClosedByProxy: [Bool] = [],
                    clientRequestHeads: Int, workLimitExceeded: Bool = false) {
            self.upstreamConnections = upstreamConnections
            self.upstreamConnectionsClosedByProxy = upstreamConnectionsClosedByProxy
            self.clientRequestHeads = clientRequestHeads
            self.workLimitExceeded = workLimitExceeded
        }
    }

    /// The run so far, for ``invariantViolations(in:expectedIdentity:identityPrefixes:)``.
    public var observation: Observation {
        Observation(upstreamConnections: upstreamConnections, upstreamConnectionsClosedByProxy: upstreamConnectionsClosedByProxy,
                    clientRequestHeads: clientRequestHeads, workLimitExceeded: workLimitExceeded)
    }

    /// Header name prefixes (lower case) that only the policy may send: impersonation and authenticating-proxy
    /// identity headers.
    public static let identityHeaderPrefixes = ["impersonate-", "x-remote-"]

    /// Checks the request-path invariants on this harness's run; call it after ``finish()`` (before, a request
    /// still streaming upstream counts as cut short). See ``invariantViolations(in:expectedIdentity:identityPrefixes:)``.
    public func invariantViolations(expectedIdentity: [(name: String, value: String)],
                                    identityPrefixes: [String] = identityHeaderPrefixes) -> [String] {
        Self.invariantViolations(in: observation, expectedIdentity: expectedIdentity, identityPrefixes: identityPrefixes)
    }

    /// Checks what reached the upstream against the request-path invariants; returns one message per violation
    /// (empty when all hold):
    ///
    /// 1. Each upstream connection's bytes parse as a sequence of HTTP/1.1 requests (strictly, see
    ///    ``StrictRequestParser``); only the last may be cut short, and only on a connection the proxy closed.
    /// 2. Each complete request is framed by exactly one `Content-Length` (equal to its body's length) or one
    ///    `Transfer-Encoding: chunked`, or by neither with no body.
    /// 3. There are no more complete upstream requests than request heads the client's decoder produced.
    /// 4. Each request (complete or not) carries each of `expectedIdentity` exactly once, and no other header whose
    ///    name is one of theirs or starts with one of `identityPrefixes` (lower case); its only
    ///    `Transfer-Encoding` is the proxy's `Transfer-Encoding: chunked`.
    /// 5. No request carries trailer fields.
    ///
    /// A run stopped at the harness's step budget is reported too.
    public static func invariantViolations(in observation: Observation, expectedIdentity: [(name: String, value: String)],
                                           identityPrefixes: [String] = identityHeaderPrefixes) -> [String] {
        var violations: [String] = []
        if observation.workLimitExceeded {
            violations.append("the harness stopped at its step budget: the proxy kept producing work")
        }
        var completeRequests = 0
        for (index, bytes) in observation.upstreamConnections.enumerated() {
            let closedByProxy = index < observation.upstreamConnectionsClosedByProxy.count
                && observation.upstreamConnectionsClosedByProxy[index]
            let parsed = StrictRequestParser.parseAll(bytes, connection: index)
            if let error = parsed.error {
                violations.append("(1) connection \(index): not a sequence of HTTP/1.1 requests: \(error)")
            } else if parsed.endsInsideRequest && !closedByProxy {
                violations.append("(1) connection \(index): the last request is cut short on a connection the proxy did not close")
            }
            for (number, request) in parsed.requests.enumerated() {
                let label = "connection \(index), request \(number + 1)"
                if request.isComplete {
                    completeRequests += 1
                    violations += framingViolations(request, label: label)
                }
                violations += identityViolations(request, label: label, expected: expectedIdentity, prefixes: identityPrefixes)
                if !request.trailers.isEmpty {
                    violations.append("(5) \(label): trailer fields reached the upstream: \(quoted(request.trailers))")
                }
            }
        }
        if completeRequests > observation.clientRequestHeads {
            violations.append("(3) \(completeRequests) complete upstream requests from \(observation.clientRequestHeads) client request heads")
        }
        return violations
    }

    private static func framingViolations(_ request: UpstreamRequest, label: String) -> [String] {
        let lengths = request.values(of: "content-length")
        let codings = request.values(of: "transfer-encoding")
        switch (lengths.count, codings.count) {
        case (0, 0):
            return request.body.isEmpty ? [] : ["(2) \(label): a body of \(request.body.count) bytes without framing"]
        case (1, 0):
            guard lengths[0] == String(request.body.count) else {
                return ["(2) \(label): Content-Length \(quoted(lengths[0])) on a body of \(request.body.count) bytes"]
            }
            return []
        case (0, 1):
            return codings[0] == "chunked" ? [] : ["(2) \(label): Transfer-Encoding \(quoted(codings[0])) instead of chunked"]
        default:
            return ["(2) \(label): framed by \(lengths.count) Content-Length and \(codings.count) Transfer-Encoding fields"]
        }
    }

    private static func identityViolations(_ request: UpstreamRequest, label: String, expected: [(name: String, value: String)],
                                           prefixes: [String]) -> [String] {
        var violations: [String] = []
        for (name, value) in expected {
            let count = request.headers.filter { $0.hasName(name) && $0.value == value }.count
            if count != 1 {
                violations.append("(4) \(label): \(count) times \(quoted("\(name): \(value)")) instead of once")
            }
        }
        for field in request.headers {
            let lowered = field.name.lowercased()
            let isIdentity = expected.contains { field.hasName($0.name) } || prefixes.contains { lowered.hasPrefix($0) }
            if isIdentity && !expected.contains(where: { field.hasName($0.name) && field.value == $0.value }) {
                violations.append("(4) \(label): an identity header the policy did not add: \(quoted(field.description))")
            }
        }
        let codings = request.headers.filter { $0.hasName("transfer-encoding") }
        if codings.count > 1 || codings.contains(where: { $0.name != "Transfer-Encoding" || $0.value != "chunked" }) {
            violations.append("(4) \(label): a Transfer-Encoding the proxy did not write: \(quoted(codings))")
        }
        return violations
    }

    private static func quoted(_ text: String) -> String {
        StrictRequestParser.printable(Array(text.utf8))
    }

    private static func quoted(_ fields: [Field]) -> String {
        fields.map { quoted($0.description) }.joined(separator: ", ")
    }
}
