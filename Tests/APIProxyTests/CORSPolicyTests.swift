import NIOHTTP1
import Testing
@testable import APIProxy

@Suite("CORS policy")
struct CORSPolicyTests {
    let policy = CORSPolicy(allowedOrigins: ["https://console.example.com"], publicOrigin: "https://vz.example.com")

    private func headers(origin: String?...) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for case let origin? in origin { headers.add(name: "Origin", value: origin) }
        return headers
    }

    @Test("no Origin: nothing to do, except that a preflight needs one")
    func noOrigin() {
        #expect(policy.evaluate(method: .GET, headers: [:], requestOrigin: nil) == .proceed)
        #expect(policy.evaluate(method: .POST, headers: [:], requestOrigin: nil) == .proceed)
        guard case .refuse(.badRequest, _, reason: "preflight_without_origin") = policy.evaluate(method: .OPTIONS, headers: [:], requestOrigin: nil) else {
            Issue.record("OPTIONS without Origin must be 400")
            return
        }
    }

    @Test("Origin * and repeated Origin headers are bad requests", arguments: [["*"], ["https://vz.example.com", "https://vz.example.com"]])
    func badOrigins(_ origins: [String]) {
        var headers = HTTPHeaders()
        for origin in origins { headers.add(name: "Origin", value: origin) }
        guard case .refuse(.badRequest, let response, _) = policy.evaluate(method: .GET, headers: headers, requestOrigin: nil) else {
            Issue.record("expected 400")
            return
        }
        #expect(response["Vary"] == ["Origin"])
    }

    @Test("allowed origins get credentials headers", arguments: ["https://vz.example.com", "https://console.example.com", "HTTPS://Console.Example.com"])
    func allowed(_ origin: String) {
        guard case .proceedWithHeaders(let response) = policy.evaluate(method: .PATCH, headers: headers(origin: origin), requestOrigin: nil) else {
            Issue.record("expected allowed")
            return
        }
        #expect(response["Access-Control-Allow-Origin"] == [origin])
        #expect(response["Access-Control-Allow-Credentials"] == ["true"])
        #expect(response["Vary"] == ["Origin"])
    }

    @Test("a disallowed origin may read but not write", arguments: ["https://evil.example.com", "null", "https://vz.example.com.evil.com"])
    func disallowed(_ origin: String) {
        guard case .proceedWithHeaders(let readHeaders) = policy.evaluate(method: .GET, headers: headers(origin: origin), requestOrigin: nil) else {
            Issue.record("GET from a disallowed origin proceeds without CORS headers")
            return
        }
        #expect(readHeaders["Access-Control-Allow-Origin"].isEmpty)
        #expect(readHeaders["Vary"] == ["Origin"])
        for method in [HTTPMethod.POST, .PUT, .PATCH, .DELETE] {
            guard case .refuse(.forbidden, _, _) = policy.evaluate(method: method, headers: headers(origin: origin), requestOrigin: nil) else {
                Issue.record("\(method) from \(origin) must be 403")
                continue
            }
        }
    }

    @Test("preflight for an allowed origin lists headers and methods")
    func preflight() {
        guard case .preflight(let response) = policy.evaluate(method: .OPTIONS, headers: headers(origin: "https://console.example.com"), requestOrigin: nil) else {
            Issue.record("expected a preflight answer")
            return
        }
        #expect(response["Access-Control-Allow-Headers"] == ["authorization, content-type"])
        #expect(response["Access-Control-Allow-Methods"] == ["GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"])
        guard case .preflight(let denied) = policy.evaluate(method: .OPTIONS, headers: headers(origin: "https://evil.example.com"), requestOrigin: nil) else {
            Issue.record("a preflight from a disallowed origin is answered without CORS headers")
            return
        }
        #expect(denied["Access-Control-Allow-Origin"].isEmpty)
    }

    @Test("without a public origin, the request's own origin is allowed")
    func sameOrigin() {
        let open = CORSPolicy()
        guard case .proceedWithHeaders(let response) = open.evaluate(method: .POST, headers: headers(origin: "https://proxy.local:8775"), requestOrigin: "https://proxy.local:8775") else {
            Issue.record("same origin must be allowed")
            return
        }
        #expect(response["Access-Control-Allow-Origin"] == ["https://proxy.local:8775"])
    }
}
