import Foundation
public import NIOSSL

/// The CA certificate(s) an admin cluster trusts for one managed cluster's API proxy, read from a PEM file for
/// `vzauth cluster register --ca-file`.
///
/// Only `CERTIFICATE` blocks are accepted, each parsed as the API proxy parses the Secret (``ClusterDirectory``);
/// text around the blocks is ignored. A file with a private key or any other kind of block is refused rather than
/// filtered, so that a key never ends up in a Secret by mistake. ``pem`` is the certificates re-encoded in one
/// canonical form (64-character lines, `\n`), so the same certificates read from differently formatted files
/// give the same Secret.
public struct ClusterCertificateAuthority: Sendable, Hashable {
    /// The certificates, in file order.
    public let certificates: [NIOSSLCertificate]
    /// The certificates as canonical PEM text: what goes into the Secret's key `cacrt`.
    public let pem: String

    /// Why a PEM file cannot be used as a managed cluster's CA.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// No `-----BEGIN CERTIFICATE-----` block.
        case noCertificate
        /// A block of a private key (its PEM type, e.g. `RSA PRIVATE KEY`).
        case privateKey(String)
        /// A block that is neither a certificate nor a key (its PEM type).
        case unexpectedBlock(String)
        /// The certificate block at this 1-based position cannot be parsed.
        case unparseable(Int)
        /// A `BEGIN` without its `END`.
        case unterminated(String)

        /// What is wrong, without the flag or file name.
        public var description: String {
            switch self {
            case .noCertificate: "it has no PEM certificate (-----BEGIN CERTIFICATE-----)"
            case .privateKey(let type): "it contains a private key (\(type)), which must not go into a Secret"
            case .unexpectedBlock(let type): "it contains a \(type) block besides certificates"
            case .unparseable(let index): "certificate \(index) in it cannot be parsed"
            case .unterminated(let type): "its \(type) block has no -----END \(type)----- line"
            }
        }
    }

    /// Reads the certificates of a PEM file.
    public init(pem bytes: some Collection<UInt8>) throws(Problem) {
        let text = String(decoding: bytes, as: UTF8.self)
        var certificates: [NIOSSLCertificate] = []
        var canonical = ""
        for block in try Self.blocks(text) {
            guard block.type == "CERTIFICATE" else {
                if block.type.hasSuffix("PRIVATE KEY") { throw .privateKey(block.type) }
                throw .unexpectedBlock(block.type)
            }
            let index = certificates.count + 1
            guard let der = Data(base64Encoded: block.base64),
                  let certificate = try? NIOSSLCertificate(bytes: Array(der), format: .der) else {
                throw .unparseable(index)
            }
            certificates.append(certificate)
            canonical += Self.pemBlock(der: Array(der))
        }
        guard !certificates.isEmpty else { throw .noCertificate }
        self.certificates = certificates
        self.pem = canonical
    }

    /// Each `-----BEGIN TYPE-----` ... `-----END TYPE-----` block of `text`: its type and its base64 text without
    /// white space. Markers need not be on lines of their own (files concatenated without a final newline).
    private static func blocks(_ text: String) throws(Problem) -> [(type: String, base64: String)] {
        var blocks: [(type: String, base64: String)] = []
        var rest = text[...]
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { break }
            let type = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END \(type)-----") else {
                throw .unterminated(type)
            }
            let body = rest[labelEnd.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            blocks.append((type, String(body)))
            rest = rest[end.upperBound...]
        }
        return blocks
    }

    /// One certificate as PEM: base64 in 64-character lines.
    private static func pemBlock(der: [UInt8]) -> String {
        let encoded = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(encoded)\n-----END CERTIFICATE-----\n"
    }
}
