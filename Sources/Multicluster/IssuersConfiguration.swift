import Foundation

/// The `issuers:` list of a `--config` file: every token issuer a proxy accepts (see ``IssuerConfiguration``).
///
/// ```swift
/// let issuers = try YAMLDecoder().decode(IssuersConfiguration.self, from: text)  // in the command layer
/// try issuers.validate()  // then one key provider and one TokenAuthenticator per entry
/// ```
public struct IssuersConfiguration: Decodable, Sendable, Hashable {
    /// The issuers, in the order given.
    public var issuers: [IssuerConfiguration]

    /// Creates a configuration.
    public init(issuers: [IssuerConfiguration]) {
        self.issuers = issuers
    }

    private enum CodingKeys: String, CodingKey { case issuers }

    /// Decodes the `issuers` member of a mapping (other members are other settings; a missing list is empty).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.issuers = try container.decodeIfPresent([IssuerConfiguration].self, forKey: .issuers) ?? []
    }

    /// Checks every entry and returns if all are usable.
    ///
    /// - Throws: ``IssuerConfigurationError`` listing every problem, each naming its field (`issuers[1].issuer`)
    ///   and the fix.
    public func validate() throws(IssuerConfigurationError) {
        var problems: [IssuerConfigurationError.Problem] = []
        if self.issuers.isEmpty {
            problems.append(.init(field: "issuers", message: "the list is empty; list at least one issuer, or remove issuers:"))
        }
        var seen: [String: Int] = [:]
        for (index, entry) in self.issuers.enumerated() {
            Self.check(entry, at: index, into: &problems)
            if let issuer = entry.issuer, !issuer.isEmpty {
                if let first = seen[issuer] {
                    problems.append(.init(
                        field: "issuers[\(index)].issuer",
                        message: "\"\(issuer)\" is also issuers[\(first)]; tokens are routed by their exact iss, so give each issuer once"))
                } else {
                    seen[issuer] = index
                }
            }
        }
        if !problems.isEmpty { throw IssuerConfigurationError(problems: problems) }
    }

    private static func check(_ entry: IssuerConfiguration, at index: Int, into problems: inout [IssuerConfigurationError.Problem]) {
        func add(_ key: String, _ message: String) {
            problems.append(.init(field: "issuers[\(index)].\(key)", message: message))
        }
        for key in entry.unknownKeys {
            let known = IssuerConfiguration.Key.allCases.map(\.rawValue).joined(separator: ", ")
            add(key, "unknown setting; an issuer takes \(known)")
        }
        typealias Key = IssuerConfiguration.Key
        switch entry.issuer {
        case nil, ""?:
            add(Key.issuer.rawValue, "required; give the issuer URL exactly as its tokens' iss claim")
        case let issuer?:
            if !Self.isURL(issuer) {
                add(Key.issuer.rawValue, "\"\(issuer)\" is not an http(s) URL without query; give the issuer URL exactly as its tokens' iss claim")
            }
        }
        if let url = entry.discoveryURL, !Self.isURL(url) {
            add(Key.discoveryURL.rawValue, "\"\(url)\" is not an http(s) URL without query; give the URL of the discovery document, or leave it out")
        }
        if entry.caFile == "" {
            add(Key.caFile.rawValue, "empty; give the path of a PEM file of CA certificates, or leave it out for the system roots")
        }
        if entry.clientIDs.contains("") {
            add(Key.clientID.rawValue, "contains an empty client id; remove it")
        }
        if entry.audiences.contains("") {
            add(Key.audience.rawValue, "contains an empty audience; remove it")
        }
        if entry.clientIDs.isEmpty && entry.audiences.isEmpty {
            add(Key.clientID.rawValue, "no client id and no audience: no token would be accepted; give client-id (e.g. verrazzano-pkce) or audience")
        }
        for (key, value) in [(Key.usernameClaim, entry.usernameClaim), (.groupsClaim, entry.groupsClaim), (.rolesClaim, entry.rolesClaim)] {
            guard let value else { continue }
            if value.isEmpty || value.hasPrefix(".") || value.hasSuffix(".") || value.contains("..") {
                add(key.rawValue, "\"\(value)\" does not name a claim; give a claim name, dotted for nested claims (realm_access.roles), or leave it out")
            }
        }
        if entry.groupsClaimDelimiter == "" {
            add(Key.groupsClaimDelimiter.rawValue, "empty; give the delimiter (e.g. \",\"), or leave it out")
        }
        if entry.requiredRole == "" {
            add(Key.requiredRole.rawValue, "empty; give the role (e.g. vz_api_access), or leave it out")
        }
    }

    private static func isURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil else { return false }
        return true
    }
}
