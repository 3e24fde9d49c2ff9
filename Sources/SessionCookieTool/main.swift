// Seals an OIDC proxy session cookie, for benchmarks and scripted checks that need a logged-in browser without a
// browser (run by hand or by benchmarks/oidc-proxy.sh):
//
//     vzauth-session-cookie SECRET_FILE USERNAME [GROUP...]
//
// Prints a `Cookie` header value (`vz_authn=...`) valid for one hour, for a session without a refresh token.
import Foundation
import OIDCProxy

let arguments = CommandLine.arguments
guard arguments.count >= 3, let secret = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: vzauth-session-cookie SECRET_FILE USERNAME [GROUP...]\n".utf8))
    exit(64)
}
let now = Date()
let session = SessionPayload(
    username: arguments[2], subject: UUID().uuidString.lowercased(), groups: Array(arguments.dropFirst(3)),
    roles: ["vz_api_access"], idToken: nil, refreshToken: nil, accessTokenIssuedAt: now,
    accessTokenExpiresAt: now.addingTimeInterval(3_600), createdAt: now)
do {
    let codec = try SessionCookieCodec(sealer: try CookieSealer(secrets: [[UInt8](secret)]),
                                       attributes: try CookieAttributes(secure: false))
    let write = try codec.setCookies(for: session, expiresAt: now.addingTimeInterval(3_600), now: now,
                                     replacing: RequestCookies(headerValues: [String]()))
    print(write.setCookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; "))
} catch {
    FileHandle.standardError.write(Data("cannot seal the session: \(error)\n".utf8))
    exit(1)
}
