/// `X-Forwarded-For` as both proxies send it upstream: the client's own values (every such header line, in order,
/// joined with `", "`), then the address the connection came from. Never more than one header line upstream.
///
/// ```swift
/// var chain = ForwardedForChain()
/// for (name, value) in head.headers where HeaderNames.equals(name, lowercase: "x-forwarded-for") { chain.append(value) }
/// if let value = chain.value(addingClient: connection.remoteIP) { headers.add(name: "X-Forwarded-For", value: value) }
/// ```
public struct ForwardedForChain: Sendable {
    private var clientValues: String?

    /// An empty chain.
    public init() {}

    /// Appends one `X-Forwarded-For` line the client sent.
    public mutating func append(_ value: String) {
        self.clientValues = self.clientValues.map { $0 + ", " + value } ?? value
    }

    /// The value to send: the client's values, then `remoteIP` when known; `nil` when there is neither.
    public func value(addingClient remoteIP: String?) -> String? {
        guard let remoteIP else { return self.clientValues }
        return self.clientValues.map { $0 + ", " + remoteIP } ?? remoteIP
    }
}
