import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("Role catalogue")
struct RoleCatalogueTests {
    static let read = ["get", "list", "watch"]
    static let write = ["create", "update", "patch", "delete", "deletecollection"]

    // The reference table, row by row.
    static let installRules = [
        PolicyRule(apiGroups: ["install.verrazzano.io"], resources: ["*", "*/status"], verbs: read),
        PolicyRule(apiGroups: ["install.verrazzano.io"], resources: ["*"], verbs: write),
    ]
    static let systemReadRules = [
        PolicyRule(apiGroups: ["clusters.verrazzano.io", "images.verrazzano.io"], resources: ["*", "*/status"], verbs: read),
        PolicyRule(apiGroups: ["config.istio.io", "networking.istio.io", "security.istio.io"], resources: ["*", "*/status"], verbs: read),
    ]
    static let systemWriteRules = [
        PolicyRule(apiGroups: ["clusters.verrazzano.io", "images.verrazzano.io"], resources: ["*"], verbs: write),
    ]
    static let applicationReadRules = [
        PolicyRule(apiGroups: ["verrazzano.io", "oam.verrazzano.io", "core.oam.dev"], resources: ["*", "*/status"], verbs: read),
        PolicyRule(apiGroups: ["weblogic.oracle"], resources: ["domains", "domains/status", "clusters", "clusters/status"], verbs: read),
        PolicyRule(apiGroups: ["coherence.oracle.com"], resources: ["coherence", "coherence/status"], verbs: read),
    ]
    static let applicationWriteRules = [
        PolicyRule(apiGroups: ["verrazzano.io", "oam.verrazzano.io", "core.oam.dev"], resources: ["*"], verbs: write),
        PolicyRule(apiGroups: ["weblogic.oracle"], resources: ["domains", "clusters"], verbs: write),
        PolicyRule(apiGroups: ["coherence.oracle.com"], resources: ["coherence"], verbs: write),
    ]

    struct ComponentRow: Sendable, CustomStringConvertible {
        var name: String
        var rules: [PolicyRule]
        var aggregatedInto: [String]
        var description: String { self.name }
    }

    static let componentRows = [
        ComponentRow(name: "verrazzano-install", rules: installRules, aggregatedInto: ["verrazzano-admin"]),
        ComponentRow(name: "verrazzano-system-read", rules: systemReadRules, aggregatedInto: ["verrazzano-admin", "verrazzano-monitor"]),
        ComponentRow(name: "verrazzano-system-write", rules: systemWriteRules, aggregatedInto: ["verrazzano-admin"]),
        ComponentRow(
            name: "verrazzano-application-read", rules: applicationReadRules,
            aggregatedInto: ["verrazzano-admin", "verrazzano-monitor", "verrazzano-project-admin", "verrazzano-project-monitor"]),
        ComponentRow(
            name: "verrazzano-application-write", rules: applicationWriteRules,
            aggregatedInto: ["verrazzano-admin", "verrazzano-project-admin"]),
    ]

    @Test("component role: exact rules and aggregation labels", arguments: componentRows)
    func componentRole(_ row: ComponentRow) throws {
        let role = try #require(RoleCatalogue.componentRoles.first { $0.name == row.name })
        #expect(role.rules == row.rules)
        #expect(role.aggregationRule == nil)
        var labels = ["app.kubernetes.io/managed-by": "vzauth-rbac"]
        for target in row.aggregatedInto { labels["verrazzano.io/aggregate-to-\(target)"] = "true" }
        #expect(role.metadata.labels == labels)
        #expect(role.apiVersion == "rbac.authorization.k8s.io/v1")
        #expect(role.kind == "ClusterRole")
    }

    @Test("the catalogue: five component roles and four user roles, by name")
    func names() {
        #expect(RoleCatalogue.componentRoles.map(\.name) == [
            "verrazzano-application-read", "verrazzano-application-write", "verrazzano-install",
            "verrazzano-system-read", "verrazzano-system-write",
        ])
        #expect(RoleCatalogue.userRoles.map(\.name) == [
            "verrazzano-admin", "verrazzano-monitor", "verrazzano-project-admin", "verrazzano-project-monitor",
        ])
        #expect(RoleCatalogue.all.count == 9)
    }

    @Test("user roles are aggregated by their label and have no rules of their own", arguments: [
        "verrazzano-admin", "verrazzano-monitor", "verrazzano-project-admin", "verrazzano-project-monitor",
    ])
    func userRole(_ name: String) throws {
        let role = try #require(RoleCatalogue.userRoles.first { $0.name == name })
        #expect(role.rules == nil)
        #expect(role.aggregationRule == AggregationRule(clusterRoleSelectors: [
            LabelSelector(matchLabels: ["verrazzano.io/aggregate-to-\(name)": "true"]),
        ]))
        #expect(role.metadata.labels == ["app.kubernetes.io/managed-by": "vzauth-rbac"])
    }

    @Test("after aggregation: admin 11, monitor 5, project-admin 6, project-monitor 3 rules", arguments: [
        ("verrazzano-admin", 11), ("verrazzano-monitor", 5), ("verrazzano-project-admin", 6), ("verrazzano-project-monitor", 3),
    ])
    func aggregatedCounts(_ name: String, _ count: Int) throws {
        let rules = try #require(RoleCatalogue.effectiveRules(of: name))
        #expect(rules.count == count)
    }

    @Test("after aggregation: the exact rules, in the aggregation controller's order (source roles by name)")
    func aggregatedRules() {
        #expect(RoleCatalogue.effectiveRules(of: "verrazzano-admin") ==
            Self.applicationReadRules + Self.applicationWriteRules + Self.installRules + Self.systemReadRules + Self.systemWriteRules)
        #expect(RoleCatalogue.effectiveRules(of: "verrazzano-monitor") == Self.applicationReadRules + Self.systemReadRules)
        #expect(RoleCatalogue.effectiveRules(of: "verrazzano-project-admin") == Self.applicationReadRules + Self.applicationWriteRules)
        #expect(RoleCatalogue.effectiveRules(of: "verrazzano-project-monitor") == Self.applicationReadRules)
        #expect(RoleCatalogue.effectiveRules(of: "verrazzano-install") == Self.installRules)
        #expect(RoleCatalogue.effectiveRules(of: "cluster-admin") == nil)
    }

    @Test("monitor roles get no write verb; project roles nothing cluster-level")
    func leastPrivilege() throws {
        for name in ["verrazzano-monitor", "verrazzano-project-monitor"] {
            let verbs = Set(try #require(RoleCatalogue.effectiveRules(of: name)).flatMap(\.verbs))
            #expect(verbs == ["get", "list", "watch"])
        }
        let projectGroups = Set(try #require(RoleCatalogue.effectiveRules(of: "verrazzano-project-admin")).flatMap { $0.apiGroups ?? [] })
        #expect(projectGroups.isDisjoint(with: ["install.verrazzano.io", "clusters.verrazzano.io", "images.verrazzano.io"]))
    }
}

@Suite("ClusterRole aggregation")
struct AggregationTests {
    static func role(_ name: String, labels: [String: String] = [:], rules: [PolicyRule]? = nil, selectors: [LabelSelector]? = nil) -> ClusterRole {
        ClusterRole(
            metadata: KubeObjectMeta(name: name, labels: labels),
            aggregationRule: selectors.map { AggregationRule(clusterRoleSelectors: $0) },
            rules: rules)
    }

    static let a = PolicyRule(apiGroups: [""], resources: ["pods"], verbs: ["get"])
    static let b = PolicyRule(apiGroups: [""], resources: ["secrets"], verbs: ["get"])
    static let c = PolicyRule(apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"])

    @Test("rules of matching roles are united once each, sources by name, selectors in order")
    func union() {
        let roles = [
            Self.role("z-source", labels: ["agg": "x"], rules: [Self.b, Self.a]),
            Self.role("a-source", labels: ["agg": "x"], rules: [Self.a]),
            Self.role("other", labels: ["agg": "y"], rules: [Self.c]),
            Self.role("target", labels: ["agg": "x"], selectors: [
                LabelSelector(matchLabels: ["agg": "x"]), LabelSelector(matchLabels: ["agg": "y"]),
            ]),
        ]
        #expect(roles[3].effectiveRules(among: roles) == [Self.a, Self.b, Self.c])
    }

    @Test("match expressions: In, NotIn, Exists, DoesNotExist; unknown operators match nothing")
    func expressions() {
        let labels = ["tier": "gold", "team": "blue"]
        #expect(LabelSelector(matchExpressions: [.init(key: "tier", operator: "In", values: ["gold", "silver"])]).matches(labels))
        #expect(!LabelSelector(matchExpressions: [.init(key: "tier", operator: "NotIn", values: ["gold"])]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "missing", operator: "NotIn", values: ["x"])]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "team", operator: "Exists")]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "team", operator: "DoesNotExist")]).matches(labels) == false)
        #expect(LabelSelector(matchExpressions: [.init(key: "team", operator: "Gt", values: ["1"])]).matches(labels) == false)
        #expect(LabelSelector().matches(labels))
        #expect(!LabelSelector(matchLabels: ["tier": "gold", "team": "red"]).matches(labels))
    }

    @Test("aggregated roles feed aggregated roles; cycles end")
    func nested() {
        let roles = [
            Self.role("leaf", labels: ["to-mid": "true"], rules: [Self.a]),
            Self.role("mid", labels: ["to-top": "true"], selectors: [LabelSelector(matchLabels: ["to-mid": "true"])]),
            Self.role("top", labels: ["to-mid": "true"], selectors: [LabelSelector(matchLabels: ["to-top": "true"])]),
        ]
        #expect(roles[2].effectiveRules(among: roles) == [Self.a])
        #expect(roles[1].effectiveRules(among: roles) == [Self.a])
        #expect(roles[0].effectiveRules(among: roles) == [Self.a])
    }
}
