import Multicluster
import Testing

@Suite("Cluster routes: which cluster a request names")
struct ClusterRouteTests {
    static let managed1 = ClusterName("managed1")!

    @Test("a request naming no cluster is local and its target is unchanged", arguments: [
        "/api/v1/pods",
        "/20210501/api/v1/namespaces/app/pods?watch=true&labelSelector=app%3Dweb",
        "/api?",
        "/apis/clusters.verrazzano.io/v1alpha1/namespaces/verrazzano-mc/verrazzanomanagedclusters",
        "/api/v1/namespaces/clusters/pods",
        "/clustersx/api",
        "/20210501/clustersx",
        "/api?clusters=a&xcluster=b&cluster_name=c",
        "/api?a=%41&b=%",
        "/",
    ])
    func unchanged(_ target: String) throws {
        let route = try ClusterRoute.parse(target)
        #expect(route.destination == .local)
        #expect(route.target == target)
    }

    @Test("cluster=NAME anywhere in the query is removed; every other parameter is kept byte for byte", arguments: [
        ("/20210501/api/v1/namespaces/app/pods?cluster=managed1", "/20210501/api/v1/namespaces/app/pods"),
        ("/api/v1/pods?cluster=managed1&watch=true", "/api/v1/pods?watch=true"),
        ("/api/v1/pods?watch=true&cluster=managed1", "/api/v1/pods?watch=true"),
        ("/api/v1/pods?a=1&cluster=managed1&b=2", "/api/v1/pods?a=1&b=2"),
        ("/api/v1/pods?b=2&a=1&cluster=managed1&c", "/api/v1/pods?b=2&a=1&c"),
        ("/api/v1/pods?empty=&cluster=managed1&x=%2F%3d+y", "/api/v1/pods?empty=&x=%2F%3d+y"),
        ("/api/v1/pods?a=1&&cluster=managed1", "/api/v1/pods?a=1&"),
        ("/api/v1/pods?cluster=managed1&cluster=managed1", "/api/v1/pods"),
        ("/api/v1/pods?labelSelector=cluster%3Dx&cluster=managed1", "/api/v1/pods?labelSelector=cluster%3Dx"),
        ("/api/v1/pods?cluster=managed1&fieldSelector=metadata.name%3Dcluster", "/api/v1/pods?fieldSelector=metadata.name%3Dcluster"),
        ("/?cluster=managed1", "/"),
    ])
    func query(_ target: String, _ forwarded: String) throws {
        let route = try ClusterRoute.parse(target)
        #expect(route.destination == .remote(Self.managed1))
        #expect(route.target == forwarded)
    }

    @Test("a /clusters/NAME prefix is removed; the console's prefix stays where it was", arguments: [
        ("/clusters/managed1/api/v1/pods", "/api/v1/pods"),
        ("/clusters/managed1/api/v1/pods?watch=true&a=", "/api/v1/pods?watch=true&a="),
        ("/clusters/managed1", "/"),
        ("/clusters/managed1/", "/"),
        ("/clusters/managed1?x=1", "/?x=1"),
        ("/clusters/managed1/20210501/api/v1/pods", "/20210501/api/v1/pods"),
        ("/20210501/clusters/managed1/api/v1/pods", "/20210501/api/v1/pods"),
        ("/20210501/clusters/managed1", "/20210501/"),
        ("/clusters/managed1/apis/apps/v1/namespaces/a/deployments/b/scale", "/apis/apps/v1/namespaces/a/deployments/b/scale"),
        ("/clusters/managed1/api/v1/namespaces/a/pods/p/exec?command=sh&stdin=true&tty=true",
         "/api/v1/namespaces/a/pods/p/exec?command=sh&stdin=true&tty=true"),
    ])
    func path(_ target: String, _ forwarded: String) throws {
        let route = try ClusterRoute.parse(target)
        #expect(route.destination == .remote(Self.managed1))
        #expect(route.target == forwarded)
    }

    @Test("both forms naming the same cluster are one designation, both removed")
    func bothFormsAgree() throws {
        let route = try ClusterRoute.parse("/clusters/managed1/api/v1/pods?cluster=managed1&watch=1")
        #expect(route == ClusterRoute(destination: .remote(Self.managed1), target: "/api/v1/pods?watch=1"))
    }

    @Test("the local cluster's name means this cluster, in either form", arguments: [
        ("/api/v1/pods?cluster=local", "/api/v1/pods"),
        ("/20210501/api/v1/pods?watch=1&cluster=local", "/20210501/api/v1/pods?watch=1"),
        ("/clusters/local/api/v1/pods", "/api/v1/pods"),
        ("/20210501/clusters/local/api", "/20210501/api"),
    ])
    func local(_ target: String, _ forwarded: String) throws {
        #expect(try ClusterRoute.parse(target) == ClusterRoute(destination: .local, target: forwarded))
    }

    @Test("--local-cluster-name changes which name is local")
    func localName() throws {
        let rules = ClusterRoute.Rules(localClusterName: "admin")
        #expect(try ClusterRoute.parse("/api?cluster=admin", rules: rules).destination == .local)
        #expect(try ClusterRoute.parse("/api?cluster=local", rules: rules).destination == .remote(ClusterName("local")!))
    }

    @Test("without a console prefix only the plain path form is recognised")
    func noConsolePrefix() throws {
        let rules = ClusterRoute.Rules(consolePrefix: "")
        #expect(try ClusterRoute.parse("/20210501/clusters/managed1/api", rules: rules).destination == .local)
        #expect(try ClusterRoute.parse("/clusters/managed1/20210501/api", rules: rules).target == "/20210501/api")
    }

    @Test("two different names are refused with 400", arguments: [
        "/api?cluster=managed1&cluster=managed2",
        "/clusters/managed1/api?cluster=managed2",
        "/clusters/managed1/api?cluster=local",
        "/api?cluster=local&cluster=managed1",
    ])
    func conflicting(_ target: String) {
        let error = #expect(throws: ClusterRouteError.self) { try ClusterRoute.parse(target) }
        #expect(error?.httpStatus == 400)
        #expect(error?.reason == "BadRequest")
        if case .conflictingClusters? = error {} else { Issue.record("expected conflictingClusters, got \(String(describing: error))") }
        #expect(error?.message.contains("two clusters") == true)
    }

    @Test("a name that is not a DNS-1123 subdomain is refused with 400", arguments: [
        "/api?cluster=", "/api?cluster", "/api?cluster=Managed1", "/api?cluster=man%61ged1", "/api?cluster=a..b",
        "/api?cluster=..", "/api?cluster=.", "/api?cluster=-a", "/api?cluster=a-", "/api?cluster=a_b", "/api?cluster=a+b",
        "/api?cluster=a%2Fb", "/api?cluster=%2e%2e", "/clusters/", "/clusters", "/clusters//api", "/clusters/../api",
        "/clusters/%2e%2e/api", "/clusters/Managed1/api", "/clusters/man%61ged1/api", "/20210501/clusters/a..b/api",
        "/clusters/a b/api",
    ])
    func invalidName(_ target: String) {
        let error = #expect(throws: ClusterRouteError.self) { try ClusterRoute.parse(target) }
        #expect(error?.httpStatus == 400)
        if case .invalidName? = error {} else { Issue.record("expected invalidName, got \(String(describing: error))") }
        #expect(error?.message.contains("DNS-1123") == true)
    }

    @Test("a too long name is refused; a 253-character one is accepted")
    func longName() throws {
        let label = String(repeating: "a", count: 63)
        let longest = [label, label, label, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(longest.utf8.count == 253)
        #expect(try ClusterRoute.parse("/api?cluster=\(longest)").destination == .remote(ClusterName(longest)!))
        #expect(throws: ClusterRouteError.self) { try ClusterRoute.parse("/api?cluster=\(longest)c") }
    }

    @Test("a percent-encoded parameter name spelling cluster is refused", arguments: [
        "/api?clus%74er=managed1", "/api?%63luster=managed1", "/api?%63%6C%75%73%74%65%72=x", "/api?a=1&clust%65r",
    ])
    func encodedKey(_ target: String) {
        #expect(throws: ClusterRouteError.encodedClusterParameter) { try ClusterRoute.parse(target) }
    }

    @Test("other percent-encoded parameter names pass", arguments: ["/api?clus%74ers=1", "/api?%41=1", "/api?%zz=1", "/api?%=1"])
    func otherEncodedKeys(_ target: String) throws {
        #expect(try ClusterRoute.parse(target) == ClusterRoute(destination: .local, target: target))
    }

    @Test("random queries: removing cluster=NAME keeps every other parameter's bytes and order")
    func randomQueries() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019-._~%2F%3D+=:/?@!$'()*,;")
        for _ in 0..<2000 {
            let parameters = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            }.filter { !$0.hasPrefix("cluster") && !$0.hasPrefix("%63") && !$0.hasPrefix("clus") }
            var withCluster = parameters
            withCluster.insert("cluster=managed1", at: Int.random(in: 0...parameters.count, using: &generator))
            let query = withCluster.joined(separator: "&")
            let expectedQuery = parameters.joined(separator: "&")
            let route = try ClusterRoute.parse("/20210501/api/v1/pods?" + query)
            #expect(route.destination == .remote(Self.managed1))
            #expect(route.target == "/20210501/api/v1/pods" + (expectedQuery.isEmpty ? "" : "?" + expectedQuery), "query \(query)")
        }
    }

    @Test("messages name the cluster and say how to fix the request")
    func messages() {
        let a = ClusterName("a")!
        let b = ClusterName("b")!
        #expect(ClusterRouteError.conflictingClusters(a, b).message
            == "the request names two clusters, \"a\" and \"b\"; name one, with cluster=NAME or /clusters/NAME")
        #expect(ClusterRouteError.invalidName("A", "x").message.contains("\"A\""))
    }

    @Test("the destination's description is the cluster name, local for this cluster")
    func destinationDescription() {
        #expect(ClusterRoute.Destination.local.description == "local")
        #expect(ClusterRoute.Destination.remote(Self.managed1).description == "managed1")
    }
}

@Suite("Cluster names")
struct ClusterNameTests {
    @Test("DNS-1123 subdomains are accepted", arguments: ["a", "0", "managed1", "a-b", "a.b.c", "a--b", "1.2.3", "x-1.y-2"])
    func valid(_ name: String) {
        #expect(ClusterName(name)?.rawValue == name)
    }

    @Test("other names are refused with a reason", arguments: [
        "", "A", "a_b", "-a", "a-", ".a", "a.", "a..b", "a.-b", "a-.b", "é", "a b", "a%2eb", "a/b",
    ])
    func invalid(_ name: String) {
        #expect(ClusterName(name) == nil)
        #expect(throws: ClusterRouteError.self) { try ClusterName.validated(name) }
    }
}
