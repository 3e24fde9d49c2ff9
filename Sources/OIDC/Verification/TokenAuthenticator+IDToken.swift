extension TokenAuthenticator {
    /// Verifies an ID token from a token response with the keys the key source holds right now.
    ///
    /// The checks are those of ``authenticateWithCurrentKeys(_:)-(String)`` (signature, issuer, client, validity
    /// window, the ``ClaimMapping`` rules), and in addition the token's `nonce` claim must equal `expectedNonce`,
    /// the nonce of the authorization request that started this login (compared in constant time). ID tokens
    /// never go through the verified-token cache. The identity's ``Identity/sessionID`` is the token's `sid`.
    ///
    /// Synchronous and free of I/O: safe on an event loop.
    ///
    /// - Parameters:
    ///   - idToken: The `id_token` of the token response.
    ///   - expectedNonce: ``OIDCAuthorizationRequest/nonce`` of the pending login; an empty nonce never matches.
    public func authenticateIDTokenWithCurrentKeys(_ idToken: String, expectedNonce: String) -> TokenVerificationOutcome {
        var idToken = idToken
        return idToken.withUTF8 { self.verify(UnsafeRawBufferPointer($0), expectedNonce: expectedNonce) }
    }

    /// Verifies an ID token like ``authenticateIDTokenWithCurrentKeys(_:expectedNonce:)``, refetching the key set
    /// once (rate-limited by the key source) when it names an unknown key.
    ///
    /// - Throws: ``OIDCError``; ``OIDCError/wrongNonce`` if the nonce is missing or differs.
    public func authenticateIDToken(_ idToken: String, expectedNonce: String) async throws(OIDCError) -> Identity {
        try await self.refetchingOnce { self.authenticateIDTokenWithCurrentKeys(idToken, expectedNonce: expectedNonce) }
    }
}
