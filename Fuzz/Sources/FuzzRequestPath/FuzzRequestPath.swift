// libFuzzer target: a client's raw bytes through the whole request path — the listener's request decoder, the
// forwarding handler, the API proxy's real policy (APIProxyPolicy: CORS, refusal of client impersonation, bearer
// authentication, impersonation of the token's user) and the upstream request writer — over ProxyCore's in-memory
// harness (InMemoryForwarding), which records what reaches the upstream and answers every request.
//
// Input layout:
//   byte 0      bit 0: the client half-closes after its last read;
//               bit 1: deferred decisions (token `slow`) are completed after every read, not only after the last;
//               bit 2: the clock moves 1 s after every read;
//               bit 3: the clock moves 3 s at the end (past the 2 s lingering close after a refusal);
//               bit 4: the client connection counts as TLS (the policy's idea of the request's own origin)
//   byte 1      bits 0-2: how many of the split positions below are used (0 ... 7)
//   bytes 2-15  seven split positions (little endian, 16 bits each): the client bytes arrive as separate reads cut
//               there
//   the rest    what the client sent (at most 8 KiB are used)
//
// The authenticator knows two tokens: `good` (alice, groups team-a) decided at once, and `slow` (alice too) decided
// by its asynchronous check; anything else is refused (401). The proxy's own credential is `Bearer proxy`. So every
// request reaching the upstream must carry exactly the identity the policy adds: `Authorization: Bearer proxy`,
// `Impersonate-User: alice`, `Impersonate-Group: team-a`, `Impersonate-Group: system:authenticated`.
//
// Invariants checked after every run (a violation traps, which libFuzzer reports as a crash):
// - the harness's own request-path invariants (`InMemoryForwarding.invariantViolations`): each upstream connection
//   is a sequence of strictly valid HTTP/1.1 requests (only the last cut short, and only on a connection the proxy
//   closed), each framed by exactly one Content-Length or Transfer-Encoding: chunked or without a body, no more
//   complete upstream requests than request heads the client's decoder produced, each carrying the identity above
//   exactly once and no other identity header (`Impersonate-*`, `X-Remote-*`, `Authorization`), no trailers; and
//   the harness never ran out of its step budget (the proxy kept producing work);
// - no upstream head carries `system:admin` or `system:masters` more often than the client's bytes did (a client
//   may name them in a header the proxy forwards as it is, but the proxy never adds or multiplies them; identity
//   headers with them are caught above);
// - what the client received is a sequence of HTTP/1.1 or HTTP/1.0 responses (framed by the rules, each answering
//   one request head in order, a response to HEAD without a body), each starting with `HTTP/1.1 ` or `HTTP/1.0 `,
//   no more of them than request heads plus one (the answer to a malformed request); only the last may be cut
//   short;
// - the harness met nothing a socket would not do (its `harnessErrors`).
import APIProxy
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import FuzzSupport
import OIDC
import ProxyFrontDoor
@_spi(Fuzzing) import ProxyCore

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("invariant violated: \(message())")
    }
}

// MARK: The policy and its collaborators

/// `good` and `slow` are alice (team-a); the second needs the asynchronous check. Everything else is refused.
struct FakeAuthenticator: BearerTokenAuthenticator {
    static let alice = Identity(username: "alice", groups: ["team-a"], roles: [], expiresAt: .distantFuture, subject: nil)

    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        switch token {
        case "good": return .authenticated(Self.alice)
        case "slow": return .needsKeyRefresh
        default: return .rejected(.badSignature)
        }
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        guard token == "slow" else { throw .badSignature }
        return Self.alice
    }
}

struct FixedCredential: UpstreamCredential {
    func authorizationHeaderValue() -> String? { "Bearer proxy" }
}

/// What every upstream request must carry exactly once.
let expectedIdentity: [(name: String, value: String)] = [
    ("Authorization", "Bearer proxy"), ("Impersonate-User", "alice"), ("Impersonate-Group", "team-a"),
    ("Impersonate-Group", "system:authenticated"),
]

/// The API proxy's policy, its decisions unchanged, with the deferred ones brought to the harness's thread.
///
/// `APIProxyPolicy` completes a deferred decision from a task, on another thread; the harness's `EmbeddedEventLoop`
/// may only be touched from the thread that made it. So the policy decides with a real event loop, and a deferred
/// decision is handed to the forwarding handler as a promise of the harness's loop, which ``completeDeferred()``
/// completes on the fuzzing thread with the policy's result.
final class HarnessThreadPolicy: RequestPolicy, @unchecked Sendable {
    private let policy: APIProxyPolicy
    private let decidingLoop: any EventLoop
    /// Deferred decisions not handed over yet; only touched on the fuzzing thread.
    private var deferred: [(decision: EventLoopFuture<ProxyDecision>, handOver: EventLoopPromise<ProxyDecision>)] = []

    init(_ policy: APIProxyPolicy, decidingLoop: any EventLoop) {
        self.policy = policy
        self.decidingLoop = decidingLoop
    }

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        switch policy.decide(head, connection: connection) {
        case .immediate(let decision):
            return .immediate(decision)
        case .deferred(let work):
            // The forwarding handler starts the hand-over at once, on the fuzzing thread.
            return .deferred(.future { [self] eventLoop in
                let handOver = eventLoop.makePromise(of: ProxyDecision.self)
                deferred.append((work.start(on: decidingLoop), handOver))
                return handOver.futureResult
            })
        }
    }

    func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        policy.upstreamFailureResponse(error, for: head)
    }

    func refusalResponse(_ refusal: ClientRequestRefusal, for head: RequestHead) -> LocalResponse {
        policy.refusalResponse(refusal, for: head)
    }

    /// Waits for the deferred decisions made so far and hands them over; returns how many there were.
    func completeDeferred() -> Int {
        let pending = deferred
        deferred.removeAll()
        for (decision, handOver) in pending {
            handOver.completeWith(Result { try decision.wait() })
        }
        return pending.count
    }
}

let apiPolicy = APIProxyPolicy(
    configuration: APIProxyConfiguration(cors: CORSPolicy(allowedOrigins: ["https://console.example.com"])),
    authenticator: FakeAuthenticator(),
    upstream: UpstreamEndpoint(host: "kubernetes.test", port: 6443, tlsContext: nil),
    credential: FixedCredential())

// MARK: Checks

/// How often `needle` occurs in `haystack`.
func occurrences(of needle: [UInt8], in haystack: some Collection<UInt8>) -> Int {
    let bytes = Array(haystack)
    guard bytes.count >= needle.count else { return 0 }
    var count = 0
    for index in 0...(bytes.count - needle.count) where bytes[index] == needle[0] {
        if bytes[index..<(index + needle.count)].elementsEqual(needle) { count += 1 }
    }
    return count
}

let privilegedNames = [Array("system:admin".utf8), Array("system:masters".utf8)]

/// The methods of the request heads in `input`, as the listener's decoder finds them (the proxy answers them in
/// this order).
func requestMethods(_ input: [UInt8]) -> [HTTPMethod] {
    var decoder = ClientRequestDecoderForFuzzing(maximumHeadBytes: HTTPListener.maxRequestHeaderBytes,
                                                 maximumFieldCount: HTTPListener.maxRequestHeaderFields,
                                                 maximumTrailerBytes: 16 * 1024, maximumTrailerFieldCount: 64)
    var buffer = ByteBuffer(bytes: input)
    var methods: [HTTPMethod] = []
    while let part = try? decoder.nextPart(&buffer) {
        if case .head(let head) = part { methods.append(head.method) }
    }
    return methods
}

/// Checks that `received` is a sequence of responses answering `methods` in order; returns how many heads it held.
func checkResponses(_ received: [UInt8], methods: [HTTPMethod]) -> Int {
    if !received.isEmpty {
        check(received.starts(with: Array("HTTP/1.1 ".utf8)) || received.starts(with: Array("HTTP/1.0 ".utf8)),
              "the client received \(printable(received.prefix(64))) first")
    }
    var framer = UpstreamResponseFramerForFuzzing(maximumHeadBytes: 64 * 1024)
    var responses = 0
    func answering(_ index: Int) -> HTTPMethod {
        // A response to HEAD, or to CONNECT (405, written without a body), has no body.
        guard index < methods.count else { return .GET }
        return methods[index] == .CONNECT ? .HEAD : methods[index]
    }
    framer.requestSent(method: answering(0))
    var buffer = ByteBuffer(bytes: received)
    do throws(UpstreamResponseError) {
        while let part = try framer.nextPart(&buffer) {
            switch part {
            case .head(let head):
                let bytes = Array(head.bytes.readableBytesView)
                check(bytes.starts(with: Array("HTTP/1.1 ".utf8)) || bytes.starts(with: Array("HTTP/1.0 ".utf8)),
                      "a response to the client starts with \(printable(bytes.prefix(16)))")
                check(head.status.code != 101, "a 101 reached the client (the upstream never sends one)")
                responses += 1
            case .body:
                break
            case .end:
                framer.requestSent(method: answering(responses))
            }
        }
    } catch {
        fatalError("invariant violated: the client received bytes that are not a sequence of responses (\(error)) after \(responses) responses: \(printable(received.prefix(2048)))")
    }
    // Only the last response may be cut short (the proxy closed in the middle of it): `endOfInput` may throw.
    return responses
}

// MARK: Entry point

let maximumClientBytes = 8 * 1024

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 16 else { return 0 }
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    let flags = data[0]
    let halfClose = flags & 1 != 0
    let completeAfterEveryRead = flags & 2 != 0
    let tickAfterEveryRead = flags & 4 != 0
    let lingerAtEnd = flags & 8 != 0
    let input = Array(data[16...].prefix(maximumClientBytes))
    let cuts = (0..<Int(data[1] & 7)).map { Int(data[2 + 2 * $0]) | Int(data[3 + 2 * $0]) << 8 }
        .filter { $0 > 0 && $0 < input.count }
    var reads: [[UInt8]] = []
    var readStart = 0
    for cut in Set(cuts).sorted() + [input.count] where cut > readStart {
        reads.append(Array(input[readStart..<cut]))
        readStart = cut
    }

    let policy = HarnessThreadPolicy(apiPolicy, decidingLoop: MultiThreadedEventLoopGroup.singleton.any())
    var settings = InMemoryForwarding.Settings()
    settings.isTLS = flags & 16 != 0
    let harness = InMemoryForwarding(policy: policy, settings: settings)
    /// Hands over every deferred decision, including those of pipelined requests started by the ones before.
    func completeDeferred() {
        var rounds = 0
        while policy.completeDeferred() > 0 {
            harness.run()
            rounds += 1
            check(rounds < 10_000, "deferred decisions keep coming")
        }
    }
    for read in reads {
        harness.send(reads: [read])
        if completeAfterEveryRead { completeDeferred() }
        if tickAfterEveryRead { harness.advanceTime(by: .seconds(1)) }
    }
    completeDeferred()
    if halfClose {
        harness.halfCloseClient()
        completeDeferred()
    }
    if lingerAtEnd {
        harness.advanceTime(by: .seconds(3))
        completeDeferred()
    }
    harness.finish()

    let violations = harness.invariantViolations(expectedIdentity: expectedIdentity)
    check(violations.isEmpty, "the request path broke its invariants:\n\(violations.joined(separator: "\n"))\n"
            + "client sent \(printable(input))\nupstream got \(harness.upstreamConnections.map { printable($0) })")
    check(harness.harnessErrors.isEmpty, "the harness: \(harness.harnessErrors)")
    for name in privilegedNames {
        let upstream = harness.upstreamRequests.reduce(0) { $0 + occurrences(of: name, in: $1.rawHead) }
        check(upstream <= occurrences(of: name, in: input),
              "\(printable(name)) \(upstream) times in upstream heads, fewer in the client's bytes: \(harness.upstreamRequests.map { printable($0.rawHead) })")
    }
    let responses = checkResponses(harness.clientReceived, methods: requestMethods(input))
    check(responses <= harness.clientRequestHeads + 1,
          "\(responses) responses to \(harness.clientRequestHeads) request heads: \(printable(harness.clientReceived.prefix(2048)))")
    return 0
}
