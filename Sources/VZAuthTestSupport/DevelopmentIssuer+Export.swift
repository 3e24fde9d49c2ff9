/// The tests' OpenID provider is the development issuer `vzauth sandbox` runs (``DevelopmentIssuer/DevelopmentIssuer``).
/// Re-exported so that `import VZAuthTestSupport` keeps bringing it, its ``DevelopmentIssuer/TokenMinter`` and
/// ``DevelopmentIssuer/TokenJSON``.
@_exported public import DevelopmentIssuer

/// The name the tests know the development issuer by.
public typealias OIDCIssuerDouble = DevelopmentIssuer

extension DevelopmentIssuer {
    /// A (not yet started) issuer signing with the shared test key ``TestKeys/rsa`` (tests only).
    ///
    /// - Parameters:
    ///   - realmPath: The path part of the issuer URL.
    ///   - clientID: The `azp` of minted tokens.
    ///   - publicIssuer: See ``DevelopmentIssuer/DevelopmentIssuer/init(realmPath:clientID:key:publicIssuer:)``.
    public convenience init(
        realmPath: String = "/auth/realms/verrazzano-system",
        clientID: String = "verrazzano-pkce",
        publicIssuer: String? = nil
    ) {
        self.init(realmPath: realmPath, clientID: clientID, key: TestKeys.rsa, publicIssuer: publicIssuer)
    }
}
