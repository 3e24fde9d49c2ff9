import Foundation
import KubeLogin
import OIDC
import Testing

@Suite("token cache files")
struct TokenCacheTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubelogin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let key = TokenCacheKey(issuer: "https://kc.example.com/auth/realms/verrazzano-system", clientID: "verrazzano-pkce", username: "alice", scopes: ["openid"])
    static let tokens = CachedTokens(
        accessToken: "access", accessTokenExpiresAt: Date(timeIntervalSince1970: 1_800_000_000),
        idToken: "id", idTokenExpiresAt: Date(timeIntervalSince1970: 1_800_000_000),
        refreshToken: "refresh", refreshTokenExpiresAt: Date(timeIntervalSince1970: 1_800_001_000))

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("an entry is read back as written; the file is 0600 in a 0700 directory, no temporary file stays")
    func roundTrip() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let cache = TokenCache(directory: base.appendingPathComponent("cache/vzauth"))
        #expect(cache.load(Self.key) == nil)
        try cache.store(Self.tokens, for: Self.key)
        #expect(cache.load(Self.key) == Self.tokens)
        #expect(try Self.mode(cache.fileURL(for: Self.key).path) == 0o600)
        #expect(try Self.mode(cache.directory.path) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory.path) == [Self.key.fileName])
        #expect(!Self.key.fileName.contains("alice"))
    }

    @Test("one entry per issuer, client, user and scopes (scope order does not matter)")
    func keys() {
        let names = Set([
            Self.key,
            TokenCacheKey(issuer: Self.key.issuer, clientID: "verrazzano-pg", username: "alice", scopes: ["openid"]),
            TokenCacheKey(issuer: Self.key.issuer, clientID: "verrazzano-pkce", username: "bob", scopes: ["openid"]),
            TokenCacheKey(issuer: "https://other.example.com", clientID: "verrazzano-pkce", username: "alice", scopes: ["openid"]),
            TokenCacheKey(issuer: Self.key.issuer, clientID: "verrazzano-pkce", username: "alice", scopes: ["openid", "groups"]),
        ].map(\.fileName))
        #expect(names.count == 5)
        #expect(TokenCacheKey(issuer: "i", clientID: "c", username: nil, scopes: ["a", "b"]).fileName
            == TokenCacheKey(issuer: "i", clientID: "c", username: "", scopes: ["b", "a"]).fileName)
    }

    @Test("a corrupted file, or one for another issuer, is ignored and replaced by the next store")
    func corrupted() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let cache = TokenCache(directory: base)
        let path = cache.fileURL(for: Self.key).path
        for junk in ["", "{", "[]", #"{"issuer":"x","clientID":"verrazzano-pkce","username":"alice","tokens":{"accessToken":"a"}}"#, "\u{0}\u{1}"] {
            try Data(junk.utf8).write(to: URL(fileURLWithPath: path))
            #expect(cache.load(Self.key) == nil, "\(junk)")
        }
        try cache.store(Self.tokens, for: Self.key)
        #expect(cache.load(Self.key) == Self.tokens)
        #expect(try Self.mode(path) == 0o600)
    }

    @Test("writes replace the file whole: concurrent writers leave one complete entry and no temporary files")
    func atomic() async throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let cache = TokenCache(directory: base)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    var tokens = Self.tokens
                    tokens.accessToken = String(repeating: "\(index % 10)", count: 10_000)
                    try cache.store(tokens, for: Self.key)
                    // A reader never sees half an entry.
                    #expect(cache.load(Self.key) != nil)
                }
            }
            try await group.waitForAll()
        }
        let loaded = try #require(cache.load(Self.key))
        #expect(loaded.accessToken.count == 10_000 && Set(loaded.accessToken).count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.path) == [Self.key.fileName])
    }

    @Test("the entry's lock is exclusive until released (another holder gets nil after its tries)")
    func lock() async throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let cache = TokenCache(directory: base.appendingPathComponent("vzauth"))
        let first = try #require(try await TokenCacheLock.acquire(Self.key, in: cache, attempts: 1))
        #expect(try await TokenCacheLock.acquire(Self.key, in: cache, attempts: 2, retryInterval: .milliseconds(10)) == nil)
        let other = TokenCacheKey(issuer: "other", clientID: "c", username: nil, scopes: [])
        let unrelated = try #require(try await TokenCacheLock.acquire(other, in: cache, attempts: 1))
        first.release()
        let again = try #require(try await TokenCacheLock.acquire(Self.key, in: cache, attempts: 1))
        again.release()
        unrelated.release()
    }

    @Test("remove deletes the entry and says whether there was one")
    func remove() throws {
        let base = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let cache = TokenCache(directory: base)
        try cache.store(Self.tokens, for: Self.key)
        #expect(try cache.remove(Self.key) == true)
        #expect(cache.load(Self.key) == nil)
        #expect(try cache.remove(Self.key) == false)
    }

    @Test("an entry from a token response takes expiries from the JWTs, and keeps the refresh token a refresh did not rotate")
    func fromResponse() {
        func jwt(exp: Int) -> String {
            "eyJhbGciOiJub25lIn0." + Base64URL.encode(Array(#"{"exp":\#(exp)}"#.utf8)) + ".sig"
        }
        let received = Date(timeIntervalSince1970: 1_800_000_000)
        let first = CachedTokens(response: OIDCTokenResponse(
            accessToken: jwt(exp: 1_800_000_300), expiresIn: 60, refreshToken: "opaque", refreshExpiresIn: 1800,
            idToken: jwt(exp: 1_800_000_200), receivedAt: received))
        #expect(first.accessTokenExpiresAt == Date(timeIntervalSince1970: 1_800_000_300))
        #expect(first.idTokenExpiresAt == Date(timeIntervalSince1970: 1_800_000_200))
        #expect(first.refreshTokenExpiresAt == Date(timeIntervalSince1970: 1_800_001_800))
        let refreshed = CachedTokens(response: OIDCTokenResponse(accessToken: "opaque-access", expiresIn: 60, receivedAt: received), previous: first)
        #expect(refreshed.accessTokenExpiresAt == Date(timeIntervalSince1970: 1_800_000_060))
        #expect(refreshed.refreshToken == "opaque" && refreshed.refreshTokenExpiresAt == first.refreshTokenExpiresAt)
        #expect(refreshed.idToken == nil)
        #expect(!first.description.contains("opaque"))
    }
}
