extension CookieNameFilter {
    /// The OIDC proxy's own cookies under their default names, which must never reach a console: every name
    /// starting with `vz_authn` (the session and its chunks), `vz_state` and `vz_userinfo`.
    public static let proxyOwned = CookieNameFilter(
        names: [LoginStateCookieCodec.defaultCookieName, UserInfoCookie.defaultCookieName],
        prefixes: [SessionCookieCodec.defaultCookieName]
    )
}
