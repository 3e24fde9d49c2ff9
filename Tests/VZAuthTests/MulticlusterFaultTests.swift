import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OIDC
import Testing
import VZAuthTestSupport

/// The admin cluster's API proxy when a managed cluster is not registered yet, unreachable, deleted or no longer
/// allowed, and exactly what it sends to a managed cluster's API proxy (a TLS recorder standing in for it), hostile
/// requests included. Issue 16's test list; the happy paths through two real proxies are in
/// `MulticlusterThroughProxiesTests`.
@Suite("Multicluster faults: the admin proxy's refusals and what reaches a managed cluster", .serialized)
struct MulticlusterFaultTests {
    static let bob = "b0b0b0b0-3b7a-4d4f-9b1a-5c2d7e9f0a22"
    static let carol = "ca401ca4-3b7a-4d4f-9b1a-5c2d7e9f0a33"

    /// Repeats `request` (a bounded number of tries, `pause` apart) until `done` holds; returns the last answer.
    static func poll(tries: Int = 50, pause: Duration = .milliseconds(100), until done: (HTTPAnswer) -> Bool,
                     _ request: () async throws -> HTTPAnswer) async throws -> HTTPAnswer {
        var answer = try await request()
        for _ in 1..<tries where !done(answer) {
            try await Task.sleep(for: pause)
            answer = try await request()
        }
        return answer
    }

    /// A port on 127.0.0.1 nothing listens on (bound, then closed).
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    @Test("a VMC without status.apiUrl: 503 Status \"cluster NAME is not registered yet\", in both request forms")
    func notRegisteredYet() async throws {
        try await AdminClusterHarness.with { harness in
            try harness.register("pending", apiUrl: nil)
            let token = harness.token()
            // The watcher sees the new VMC within moments: until then it is unknown (404).
            let kubectlStyle = try await Self.poll(until: { $0.status != 404 }) {
                try await harness.get("/clusters/pending/api/v1/namespaces/default/pods", token: token)
            }
            #expect(kubectlStyle.status == 503, "\(kubectlStyle)")
            #expect(kubectlStyle.statusMessage == "cluster \"pending\" is not registered yet", "\(kubectlStyle)")
            let consoleStyle = try await harness.get("/20210501/api/v1/namespaces/default/pods?cluster=pending", token: token)
            #expect(consoleStyle.status == 503, "\(consoleStyle)")
            #expect(consoleStyle.statusMessage == "cluster \"pending\" is not registered yet", "\(consoleStyle)")
            for answer in [kubectlStyle, consoleStyle] {
                #expect(!answer.text.contains(token), "the token is never echoed")
            }
            #expect(harness.recorder.parsedRequests.isEmpty)
        }
    }

    @Test("managed proxy down (apiUrl a closed port): 503 Status naming the cluster, never the token")
    func managedProxyDown() async throws {
        try await AdminClusterHarness.with { harness in
            let port = try await Self.closedPort()
            try harness.register("down", caSecret: "recorder-ca", apiUrl: "https://127.0.0.1:\(port)")
            let token = harness.token()
            let answer = try await Self.poll(until: { $0.status != 404 }) {
                try await harness.get("/clusters/down/api/v1/namespaces/default/pods", token: token)
            }
            #expect(answer.status == 503, "\(answer)")
            #expect(answer.statusMessage == "the API proxy of cluster \"down\" is unreachable", "\(answer)")
            let console = try await harness.get("/20210501/api/v1/pods?watch=1&cluster=down", token: token)
            #expect(console.status == 503, "\(console)")
            #expect(console.statusMessage?.contains("\"down\"") == true, "\(console)")
            for answer in [answer, console] {
                #expect(!answer.text.contains(token), "the token is never echoed")
                #expect(!answer.text.contains(AdminClusterHarness.proxyCredential))
                #expect(!answer.text.contains("127.0.0.1:\(port)"), "the client is not told internal addresses")
            }
        }
    }

    @Test("a VMC deleted on the admin cluster: 404 naming it within seconds")
    func deletedCluster() async throws {
        try await AdminClusterHarness.with { harness in
            try harness.register("doomed", caSecret: "recorder-ca", apiUrl: "https://127.0.0.1:\(harness.recorder.port)")
            let token = harness.token()
            let before = try await Self.poll(until: { $0.status == 200 }) {
                try await harness.get("/clusters/doomed/api", token: token)
            }
            #expect(before.status == 200, "\(before)")

            try harness.unregister("doomed")
            let deleted = ContinuousClock.now
            let after = try await Self.poll(tries: 50, until: { $0.status == 404 }) {
                try await harness.get("/clusters/doomed/api", token: token)
            }
            #expect(after.status == 404, "\(after)")
            #expect(after.statusMessage == "cluster \"doomed\" not found", "\(after)")
            #expect(ContinuousClock.now - deleted < .seconds(6), "the deletion took effect within seconds")
        }
    }

    @Test("a permission revoked on the admin cluster: 403 within the 10 s cache bound")
    func revokedPermission() async throws {
        let denied = DeniedUsers()
        try await AdminClusterHarness.with(denied: denied) { harness in
            let token = harness.token(subject: Self.bob)
            let allowed = try await harness.get("/clusters/recorder/api", token: token)
            #expect(allowed.status == 200, "\(allowed)")

            denied.deny(Self.bob)
            let revoked = ContinuousClock.now
            // The decision may be cached for at most 10 s: 48 tries 250 ms apart bound the wait to about 12 s.
            let after = try await Self.poll(tries: 48, pause: .milliseconds(250), until: { $0.status == 403 }) {
                try await harness.get("/clusters/recorder/api", token: token)
            }
            #expect(after.status == 403, "\(after)")
            #expect(after.statusMessage == "access to cluster \"recorder\" is forbidden", "\(after)")
            #expect(ContinuousClock.now - revoked < .seconds(12))
            // Others keep their access.
            #expect(try await harness.get("/clusters/recorder/api", token: harness.token()).status == 200)
        }
    }

    // MARK: What reaches the managed side

    /// The head of the one request the recorder received since it was last cleared, as raw text (nil and an issue
    /// recorded if there is not exactly one).
    static func onlyRequestHead(_ recorder: WireRecordingUpstream, sourceLocation: SourceLocation = #_sourceLocation) async -> String? {
        await recorder.waitFor { $0.parsedRequests.count >= 1 }
        let requests = recorder.parsedRequests
        guard requests.count == 1 else {
            Issue.record("expected one request upstream, got \(requests.count): \(recorder.allReceived)", sourceLocation: sourceLocation)
            return nil
        }
        let received = recorder.allReceived
        return received.range(of: "\r\n\r\n").map { String(received[..<$0.lowerBound]) } ?? received
    }

    /// The field lines of a raw head, without the request line.
    static func fields(_ head: String) -> [(name: String, value: String)] {
        head.components(separatedBy: "\r\n").dropFirst().map { line in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            let value = colon < line.endIndex ? line[line.index(after: colon)...] : ""
            return (String(line[..<colon]), value.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test("upstream gets the user's token once, no Impersonate-*, never the proxy's credential, X-Forwarded-For appended, the target without the designation")
    func wireToManagedCluster() async throws {
        try await AdminClusterHarness.with { harness in
            let token = harness.token()
            let recorder = harness.recorder

            /// Sends `head`, expects 200, and returns the head the managed side received.
            func forwarded(_ target: String, _ extraFields: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
                recorder.clear()
                let answer = try await harness.send((["GET \(target) HTTP/1.1", "Authorization: Bearer \(token)"] + extraFields)
                    .joined(separator: "\r\n"))
                #expect(answer.status == 200, "\(answer)", sourceLocation: sourceLocation)
                return await Self.onlyRequestHead(recorder, sourceLocation: sourceLocation)
            }

            // kubectl style: /clusters/NAME removed, the query byte for byte.
            let kubectlHead = try #require(try await forwarded(
                "/clusters/recorder/api/v1/namespaces/default/configmaps?limit=5&fieldSelector=metadata.name%3Dx&&watch=0&empty=",
                "Accept: application/json", "X-Forwarded-For: 203.0.113.7", "User-Agent: kubectl/v1.32.0"))
            #expect(kubectlHead.hasPrefix(
                "GET /api/v1/namespaces/default/configmaps?limit=5&fieldSelector=metadata.name%3Dx&&watch=0&empty= HTTP/1.1\r\n"),
                "\(kubectlHead)")
            let fields = Self.fields(kubectlHead)
            func values(_ name: String) -> [String] { fields.filter { $0.name.lowercased() == name }.map(\.value) }
            #expect(values("authorization") == ["Bearer \(token)"], "the user's own token, exactly once: \(kubectlHead)")
            #expect(!fields.contains { $0.name.lowercased().hasPrefix("impersonate-") }, "\(kubectlHead)")
            #expect(!recorder.allReceived.contains(AdminClusterHarness.proxyCredential), "the proxy's own credential never goes")
            #expect(values("x-forwarded-for") == ["203.0.113.7, 127.0.0.1"], "\(kubectlHead)")
            #expect(values("accept") == ["application/json"] && values("user-agent") == ["kubectl/v1.32.0"])
            #expect(values("host").count == 1)
            // Byte for byte: the client's fields in order (its Host replaced by the upstream's, its Connection gone), X-Forwarded-For
            // merged at the end, nothing added.
            #expect(recorder.allReceived == [
                "GET /api/v1/namespaces/default/configmaps?limit=5&fieldSelector=metadata.name%3Dx&&watch=0&empty= HTTP/1.1",
                "Host: 127.0.0.1:\(recorder.port)",
                "Authorization: Bearer \(token)",
                "Accept: application/json",
                "User-Agent: kubectl/v1.32.0",
                "X-Forwarded-For: 203.0.113.7, 127.0.0.1",
            ].joined(separator: "\r\n") + "\r\n\r\n")

            // Console style: cluster= removed wherever it is, the others kept in order, /20210501 kept.
            let consoleHead = try #require(try await forwarded(
                "/20210501/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&cluster=recorder&limit=500&x"))
            #expect(consoleHead.hasPrefix("GET /20210501/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=500&x HTTP/1.1\r\n"),
                    "\(consoleHead)")
            #expect(Self.fields(consoleHead).filter { $0.name.lowercased() == "x-forwarded-for" }.map(\.value) == ["127.0.0.1"])
            let onlyParameter = try #require(try await forwarded("/20210501/api/v1/pods?cluster=recorder"))
            #expect(onlyParameter.hasPrefix("GET /20210501/api/v1/pods HTTP/1.1\r\n"), "a ? with nothing left goes: \(onlyParameter)")
            let twice = try #require(try await forwarded("/20210501/api/v1/pods?cluster=recorder&a=1&cluster=recorder"))
            #expect(twice.hasPrefix("GET /20210501/api/v1/pods?a=1 HTTP/1.1\r\n"), "the same name twice is one designation: \(twice)")
            let prefixed = try #require(try await forwarded("/20210501/clusters/recorder/api/v1/pods?b=2"))
            #expect(prefixed.hasPrefix("GET /20210501/api/v1/pods?b=2 HTTP/1.1\r\n"), "\(prefixed)")
            let both = try #require(try await forwarded("/clusters/recorder/api/v1/pods?cluster=recorder&c=3"))
            #expect(both.hasPrefix("GET /api/v1/pods?c=3 HTTP/1.1\r\n"), "\(both)")

            // An apiUrl with a path: put before the forwarded target, in both forms.
            try harness.register("based", caSecret: "recorder-ca", apiUrl: "https://127.0.0.1:\(recorder.port)/proxy/base/")
            try await harness.waitUntilRouted("based")
            let based = try #require(try await forwarded("/clusters/based/api/v1/pods?x=1"))
            #expect(based.hasPrefix("GET /proxy/base/api/v1/pods?x=1 HTTP/1.1\r\n"), "\(based)")
            let basedConsole = try #require(try await forwarded("/20210501/api/v1/pods?cluster=based"))
            #expect(basedConsole.hasPrefix("GET /proxy/base/20210501/api/v1/pods HTTP/1.1\r\n"), "\(basedConsole)")
        }
    }

    @Test("hostile requests for a managed cluster are refused and nothing reaches it (or the admin API server as the user)")
    func hostileRequests() async throws {
        try await AdminClusterHarness.with(extraArguments: ["--allow-user-impersonation"]) { harness in
            let token = harness.token()
            let recorder = harness.recorder
            let cases: [(head: String, status: Int, message: String?)] = [
                // Impersonation from the client, even where --as is allowed for this cluster.
                ("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nImpersonate-User: admin", 403,
                 "impersonation headers are not allowed"),
                ("GET /20210501/api/v1/pods?cluster=recorder HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nImpersonate-Group: system:masters", 403,
                 "impersonation headers are not allowed"),
                // Hop-by-hop tricks: a Connection field naming Impersonate-User (with or without one) or the credential.
                ("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nConnection: Impersonate-User", 403,
                 "impersonation headers are not allowed"),
                ("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nConnection: Impersonate-User\r\nImpersonate-User: admin",
                 403, "impersonation headers are not allowed"),
                ("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nConnection: Authorization", 400,
                 "the Connection header may not name framing, credential or identity headers"),
                // A second Authorization.
                ("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nAuthorization: Bearer other", 400,
                 "more than one Authorization header"),
                // Two different clusters.
                ("GET /20210501/api/v1/pods?cluster=recorder&cluster=other HTTP/1.1\r\nAuthorization: Bearer \(token)", 400,
                 "the request names two clusters, \"recorder\" and \"other\"; name one, with cluster=NAME or /clusters/NAME"),
                ("GET /clusters/recorder/api/v1/pods?cluster=other HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                // Names that are not DNS-1123 subdomains as sent.
                ("GET /clusters/Recorder/api HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /20210501/api/v1/pods?cluster=RECORDER HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /clusters/../api/v1/secrets HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /clusters/recorder/../../api/v1/secrets HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /20210501/api/v1/secrets?cluster=.. HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /clusters/rec%6frder/api HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /20210501/api/v1/pods?cluster=rec%6frder HTTP/1.1\r\nAuthorization: Bearer \(token)", 400, nil),
                ("GET /20210501/api/v1/pods?clus%74er=recorder HTTP/1.1\r\nAuthorization: Bearer \(token)", 400,
                 "the query parameter name \"cluster\" must not be percent-encoded"),
            ]
            harness.admin.apiServer.clearRequests()
            for hostile in cases {
                recorder.clear()
                let answer = try await harness.send(hostile.head)
                let request = hostile.head.prefix { $0 != "\r" }
                #expect(answer.status == hostile.status, "\(request): \(answer)")
                #expect(answer.statusMessage != nil, "a Kubernetes Status: \(request): \(answer)")
                if let message = hostile.message { #expect(answer.statusMessage == message, "\(request)") }
                #expect(!answer.text.contains(token), "\(request)")
                #expect(recorder.parsedRequests.isEmpty && recorder.allReceived.isEmpty,
                        "nothing reaches the managed cluster for \(request): \(recorder.allReceived)")
            }
            // Nor did any fall back to this cluster as the user.
            let asUser = harness.admin.apiServer.requests.filter { $0.header("impersonate-user") != nil }
            #expect(asUser.isEmpty, "\(asUser.map(\.uri))")
        }
    }

    @Test("a Basic client's password stops at the admin proxy: the managed side gets Bearer <the token the password grant returned>, once")
    func basicClient() async throws {
        try await AdminClusterHarness.with { harness in
            let issuer = harness.admin.issuer
            issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
            issuer.addUser(OIDCIssuerDouble.User(username: "pipeline", subject: Self.carol, groups: ["ci"], password: "s3cret"))
            let credentials = Data("pipeline:s3cret".utf8).base64EncodedString()
            for _ in 0..<2 {
                let answer = try await harness.send("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Basic \(credentials)")
                #expect(answer.status == 200, "\(answer)")
            }
            #expect(issuer.passwordGrantCount == 1, "one grant, reused")
            let received = harness.recorder.parsedRequests
            #expect(received.count == 2)
            for request in received {
                let authorization = request.head.headers[canonicalForm: "authorization"].map(String.init)
                #expect(authorization.count == 1)
                let token = try #require(authorization.first?.split(separator: " ", maxSplits: 1).last.map(String.init))
                #expect(authorization.first == "Bearer \(token)")
                // The token is the issuer's, for the password client, naming the user.
                let payload = try #require(token.split(separator: ".").dropFirst().first)
                let claims = String(decoding: Base64URL.decode(payload.utf8) ?? [], as: UTF8.self)
                #expect(claims.contains(#""sub":"\#(Self.carol)""#) && claims.contains(#""azp":"verrazzano-pg""#), "\(claims)")
            }
            #expect(!harness.recorder.allReceived.contains(credentials), "the password never leaves the admin proxy")
            #expect(!harness.recorder.allReceived.contains("s3cret"))
            let wrong = Data("pipeline:guess".utf8).base64EncodedString()
            let refused = try await harness.send("GET /clusters/recorder/api HTTP/1.1\r\nAuthorization: Basic \(wrong)")
            #expect(refused.status == 401, "\(refused)")
            #expect(harness.recorder.parsedRequests.count == 2, "a refused credential is never forwarded")
        }
    }

    // MARK: Cost of the cluster check

    @Test("1,000 requests by one user to one cluster cause at most 2 SubjectAccessReviews at the admin API server")
    func accessChecksAreCached() async throws {
        try await AdminClusterHarness.with { harness in
            let token = harness.token(subject: Self.carol)
            harness.admin.apiServer.clearRequests()
            let connections = 10, perConnection = 100
            let request = "GET /clusters/recorder/api/v1/namespaces/default/pods?limit=1 HTTP/1.1\r\n"
                + "Host: 127.0.0.1:\(harness.admin.proxyPort)\r\nAuthorization: Bearer \(token)\r\n\r\n"
            let tls = try harness.admin.authority.clientTLSConfiguration()
            let port = harness.admin.proxyPort
            // Concurrent keep-alive connections, each with its requests pipelined.
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        let connection = try await RawConnection(group: MultiThreadedEventLoopGroup.singleton, port: port,
                                                                 tlsConfiguration: tls)
                        try await connection.send(String(repeating: request, count: perConnection))
                        func count(_ text: String) -> Int { text.components(separatedBy: "HTTP/1.1 200 ").count - 1 }
                        let text = await connection.waitFor(timeout: .seconds(60)) { count($0) >= perConnection }
                        await connection.close()
                        return count(text)
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answered == connections * perConnection)
            #expect(harness.recorder.parsedRequests.count >= connections * perConnection)
            let reviews = harness.admin.apiServer.requests.filter {
                $0.path.hasSuffix("/subjectaccessreviews") && $0.bodyText.contains(Self.carol)
            }
            #expect(reviews.count >= 1 && reviews.count <= 2, "\(reviews.count) reviews for \(answered) requests")
        }
    }
}
