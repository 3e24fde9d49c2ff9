/// One request received by the ``KubeAPIEmulator``, exactly as it arrived.
public struct KubeRecordedRequest: Sendable, Hashable {
    /// One header line.
    public struct Header: Sendable, Hashable {
        /// The name as sent.
        public var name: String
        /// The value.
        public var value: String
    }

    /// The method, e.g. `GET`.
    public var method: String
    /// The request target as sent (path and query).
    public var uri: String
    /// Every header line in the order received, repeated names included.
    public var headers: [Header]
    /// The body bytes (empty for none; for upgraded connections, only the handshake request is recorded).
    public var body: [UInt8]

    /// The path without the query.
    public var path: String { String(self.uri.prefix { $0 != "?" }) }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: self.body, as: UTF8.self) }

    /// Every value of header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { self.headerValues(name).first }
}
