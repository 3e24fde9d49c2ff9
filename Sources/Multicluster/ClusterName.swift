/// The name of a cluster: a `VerrazzanoManagedCluster` name, a DNS-1123 subdomain (lower-case letters, digits, `-`
/// and `.`, labels that start and end with a letter or digit, at most 253 bytes).
///
/// The name is checked byte by byte as the client sent it: a percent-encoded name (`man%61ged1`) is refused even
/// when it would decode to a valid one, so that every hop agrees on the name without decoding it.
public struct ClusterName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// The longest name, as for every Kubernetes object name that is a DNS-1123 subdomain.
    public static let maximumLength = 253

    /// Checks `text`; `nil` if it is not a DNS-1123 subdomain.
    public init?(_ text: some StringProtocol) {
        guard Self.problem(text.utf8) == nil else { return nil }
        self.rawValue = String(text)
    }

    /// Checks `text` and says what is wrong with it.
    public static func validated(_ text: some StringProtocol) throws(ClusterRouteError) -> ClusterName {
        if let problem = Self.problem(text.utf8) { throw .invalidName(String(text.prefix(64)), problem) }
        return ClusterName(unchecked: String(text))
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    /// The name.
    public var description: String { self.rawValue }

    /// Orders by name.
    public static func < (lhs: ClusterName, rhs: ClusterName) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Why `bytes` is not a DNS-1123 subdomain, `nil` if it is.
    static func problem(_ bytes: some Collection<UInt8>) -> String? {
        guard !bytes.isEmpty else { return "it is empty" }
        guard bytes.count <= Self.maximumLength else { return "it is longer than \(Self.maximumLength) characters" }
        if bytes.contains(UInt8(ascii: "%")) { return "it must not be percent-encoded" }
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            case UInt8(ascii: "-"):
                if previous == UInt8(ascii: ".") { return "a label must start with a letter or digit" }
            case UInt8(ascii: "."):
                if previous == UInt8(ascii: ".") { return "it has an empty label" }
                if previous == UInt8(ascii: "-") { return "a label must end with a letter or digit" }
            default:
                return "it may contain only lower-case letters, digits, '-' and '.'"
            }
            previous = byte
        }
        if previous == UInt8(ascii: ".") { return "it must not end with '.'" }
        if previous == UInt8(ascii: "-") { return "it must end with a letter or digit" }
        return nil
    }
}
