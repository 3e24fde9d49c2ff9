import Foundation
import Multicluster
import Testing
import VerrazzanoRBAC
import Yams

/// The Kubernetes manifests under `deploy/`, parsed as YAML: identity of every object, least privilege of both
/// service accounts, the CRDs' versions and the Deployments' hardening.
@Suite("deploy/ manifests")
struct DeployManifestTests {
    /// One YAML document of a manifest file.
    struct Document: CustomStringConvertible {
        var file: String
        var index: Int
        var object: [String: Any]

        var kind: String { self.object["kind"] as? String ?? "" }
        var metadata: [String: Any] { DeployManifestTests.map(self.object["metadata"]) ?? [:] }
        var name: String { self.metadata["name"] as? String ?? "" }
        var namespace: String? { self.metadata["namespace"] as? String }
        var description: String { "\(self.file)#\(self.index) \(self.kind)/\(self.name)" }
    }

    /// A PolicyRule, as written.
    struct Rule: CustomStringConvertible {
        var source: String
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]
        var resourceNames: [String]
        var description: String { "\(self.source): \(self.apiGroups) \(self.resources) \(self.verbs) \(self.resourceNames)" }
    }

    static let rbacGroup = "rbac.authorization.k8s.io"
    static let systemNamespace = "verrazzano-system"
    static let controllerAccount = "vzauth-rbac-controller"
    static let proxyAccount = "verrazzano-authproxy"
    /// The opt-in grants of `--allow-user-impersonation`.
    static let userImpersonationFile = "user-impersonation/api-proxy-user-impersonation.yaml"
    /// A managed cluster's API proxy, reading several issuers from a `--config` file.
    static let managedClusterFile = "managed-cluster/api-proxy.yaml"
    /// The ClusterRoles the controller's bindings reference: the only ones it may `bind`.
    static let bindable: Set<String> = [
        "admin", "view", "verrazzano-admin", "verrazzano-monitor",
        "verrazzano-project-admin", "verrazzano-project-monitor", "verrazzano-managed-cluster",
    ]
    /// The Verrazzano role catalogue the controller writes: the only ClusterRoles it may `escalate`.
    static let escalatable: Set<String> = [
        "verrazzano-admin", "verrazzano-monitor", "verrazzano-project-admin", "verrazzano-project-monitor",
        "verrazzano-install", "verrazzano-system-read", "verrazzano-system-write",
        "verrazzano-application-read", "verrazzano-application-write",
    ]

    // MARK: - Loading

    /// The repository root, from this file's path (`Tests/VZAuthTests/DeployManifestTests.swift`).
    static var deployDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy", isDirectory: true)
    }

    /// Every `.yaml`/`.yml` file under `deploy/`, as paths relative to it, sorted.
    static func manifestFiles() throws -> [String] {
        let root = deployDirectory
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { files.append(path) }
        }
        return files.sorted()
    }

    /// Every non-empty document of every manifest file.
    static func documents() throws -> [Document] {
        var documents: [Document] = []
        for file in try manifestFiles() {
            let text = try String(contentsOf: deployDirectory.appendingPathComponent(file), encoding: .utf8)
            var sequence = try Yams.load_all(yaml: text)
            var index = 0
            while let value = sequence.next() {
                defer { index += 1 }
                if value is NSNull { continue }
                let object = try #require(map(value), "\(file)#\(index) is not a mapping")
                documents.append(Document(file: file, index: index, object: object))
            }
            if let error = sequence.error { throw error }
        }
        return documents
    }

    /// A YAML mapping with string keys, or `nil`.
    static func map(_ value: Any?) -> [String: Any]? {
        if let object = value as? [String: Any] { return object }
        guard let mapping = value as? [AnyHashable: Any] else { return nil }
        var object: [String: Any] = [:]
        for (key, value) in mapping {
            guard let key = key.base as? String else { return nil }
            object[key] = value
        }
        return object
    }

    /// A YAML sequence, or empty.
    static func list(_ value: Any?) -> [Any] { value as? [Any] ?? [] }

    /// A YAML sequence of strings, or empty.
    static func strings(_ value: Any?) -> [String] { list(value).compactMap { $0 as? String } }

    /// The value at a dotted path of mappings.
    static func value(_ object: [String: Any], _ path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") {
            current = map(current)?[String(key)]
        }
        return current
    }

    /// The flag/value pairs of `args` (`--flag value` or `--flag=value`), in order.
    static func flagPairs(_ args: [String]) -> [(String, String)] {
        var result: [(String, String)] = []
        var index = 0
        while index < args.count {
            let arg = args[index]
            if let equals = arg.firstIndex(of: "=") {
                result.append((String(arg[..<equals]), String(arg[arg.index(after: equals)...])))
            } else if index + 1 < args.count, !args[index + 1].hasPrefix("--") {
                result.append((arg, args[index + 1]))
                index += 1
            } else {
                result.append((arg, ""))
            }
            index += 1
        }
        return result
    }

    static func rules(of document: Document) -> [Rule] {
        list(document.object["rules"]).compactMap(map).map { rule in
            Rule(
                source: document.description,
                apiGroups: strings(rule["apiGroups"]),
                resources: strings(rule["resources"]),
                verbs: strings(rule["verbs"]),
                resourceNames: strings(rule["resourceNames"]))
        }
    }

    /// The rules of every Role and ClusterRole that a binding in the manifests grants to ServiceAccount `account`
    /// in `verrazzano-system`.
    static func rulesGranted(to account: String, in documents: [Document]) throws -> [Rule] {
        var rules: [Rule] = []
        for binding in documents where binding.kind == "ClusterRoleBinding" || binding.kind == "RoleBinding" {
            let subjects = list(binding.object["subjects"]).compactMap(map)
            let boundToAccount = subjects.contains {
                $0["kind"] as? String == "ServiceAccount" && $0["name"] as? String == account
                    && $0["namespace"] as? String == systemNamespace
            }
            guard boundToAccount else { continue }
            let roleRef = try #require(map(binding.object["roleRef"]), "\(binding) has no roleRef")
            let roleKind = roleRef["kind"] as? String ?? ""
            let roleName = roleRef["name"] as? String ?? ""
            let role = try #require(
                documents.first {
                    $0.kind == roleKind && $0.name == roleName
                        && (roleKind == "ClusterRole" || $0.namespace == binding.namespace)
                },
                "\(binding) references \(roleKind) \(roleName), which the manifests do not define")
            rules += Self.rules(of: role)
        }
        return rules
    }

    // MARK: - Every object

    @Test("every file parses and every document has apiVersion, kind and metadata.name")
    func everyDocumentIsIdentified() throws {
        let files = try Self.manifestFiles()
        for expected in [
            "crds/verrazzanoprojects.clusters.verrazzano.io.yaml",
            "crds/verrazzanos.install.verrazzano.io.yaml",
            "crds/verrazzanomanagedclusters.clusters.verrazzano.io.yaml",
            "rbac-controller.yaml",
            "api-proxy.yaml",
            "admin-cluster/api-proxy-managed-clusters.yaml",
            "managed-cluster/api-proxy.yaml",
            "user-impersonation/api-proxy-user-impersonation.yaml",
        ] {
            #expect(files.contains(expected), "deploy/\(expected) is missing")
        }
        let documents = try Self.documents()
        #expect(documents.count >= 16)
        let clusterScoped: Set<String> = ["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]
        for document in documents {
            #expect(!(document.object["apiVersion"] as? String ?? "").isEmpty, "\(document) has no apiVersion")
            #expect(!document.kind.isEmpty, "\(document) has no kind")
            #expect(!document.name.isEmpty, "\(document) has no metadata.name")
            if clusterScoped.contains(document.kind) {
                #expect(document.namespace == nil, "\(document) is cluster-scoped but names a namespace")
            } else if document.name == "verrazzano-authproxy-managed-clusters" {
                // Reading managed-cluster registrations: granted where they are.
                #expect(document.namespace == "verrazzano-mc", "\(document) is not in verrazzano-mc")
            } else {
                #expect(document.namespace == Self.systemNamespace, "\(document) is not in \(Self.systemNamespace)")
            }
        }
        // The namespace is declared identically wherever it appears, so re-applying either file changes nothing.
        let namespaces = documents.filter { $0.kind == "Namespace" }
        #expect(!namespaces.isEmpty)
        for namespace in namespaces {
            #expect(namespace.name == Self.systemNamespace)
            #expect(Set(namespace.metadata.keys) == ["name"], "\(namespace) sets more than its name")
        }
    }

    // MARK: - RBAC controller

    @Test("the controller's ClusterRole has no wildcards, and bind/escalate only on named roles")
    func controllerClusterRoleIsLeastPrivilege() throws {
        let documents = try Self.documents()
        let clusterRole = try #require(documents.first { $0.kind == "ClusterRole" && $0.name == Self.controllerAccount })
        let rules = Self.rules(of: clusterRole)
        #expect(!rules.isEmpty)
        for rule in rules {
            for field in [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames] {
                #expect(!field.contains { $0.contains("*") }, "wildcard in \(rule)")
            }
            #expect(!rule.verbs.contains("impersonate"), "\(rule)")
            if rule.resourceNames.isEmpty {
                #expect(!rule.verbs.contains("bind") && !rule.verbs.contains("escalate"), "unrestricted \(rule)")
            }
        }

        func named(_ verb: String) -> [Rule] { rules.filter { $0.verbs.contains(verb) } }
        for (verb, names) in [("bind", Self.bindable), ("escalate", Self.escalatable)] {
            let granting = named(verb)
            #expect(!granting.isEmpty, "no rule grants \(verb)")
            for rule in granting {
                #expect(rule.verbs == [verb], "\(verb) mixed with other verbs: \(rule)")
                #expect(rule.apiGroups == [Self.rbacGroup] && rule.resources == ["clusterroles"], "\(rule)")
                #expect(Set(rule.resourceNames).isSubset(of: names), "\(verb) on more than \(names.sorted()): \(rule)")
            }
            #expect(Set(granting.flatMap(\.resourceNames)) == names, "\(verb) must cover exactly \(names.sorted())")
        }
    }

    @Test("bind covers every role the controller's bindings reference; escalate covers the role catalogue")
    func controllerBindAndEscalateMatchTheLibrary() throws {
        let install = DesiredState.installBindings(for: nil).map(\.roleRef.name)
        let json = """
            {"metadata": {"name": "p", "namespace": "verrazzano-mc"},
             "spec": {"placement": {"clusters": [{"name": "local"}, {"name": "managed1"}]},
                      "template": {"namespaces": [{"metadata": {"name": "p-ns"}}]}}}
            """
        let project = try JSONDecoder().decode(VerrazzanoProject.self, from: Data(json.utf8))
        let projectRoles = DesiredState.projectObjects(for: project).roleBindings.map(\.roleRef.name)
        #expect(Set(install + projectRoles) == Self.bindable)
        #expect(Set(RoleCatalogue.all.map(\.name)) == Self.escalatable)
    }

    @Test("the controller cannot delete namespaces, and its leader election is a Role in its own namespace")
    func controllerCannotDeleteNamespaces() throws {
        let documents = try Self.documents()
        let rules = try Self.rulesGranted(to: Self.controllerAccount, in: documents)
        #expect(!rules.isEmpty)
        for rule in rules where rule.apiGroups.contains("") || rule.apiGroups.contains("*") {
            if rule.resources.contains("namespaces") || rule.resources.contains("*") {
                #expect(!rule.verbs.contains("delete") && !rule.verbs.contains("deletecollection") && !rule.verbs.contains("*"), "\(rule)")
            }
        }
        let leaseRoles = documents.filter { document in
            Self.rules(of: document).contains { $0.resources.contains("leases") }
        }
        #expect(leaseRoles.map(\.kind) == ["Role"])
        #expect(leaseRoles.first?.namespace == Self.systemNamespace)
        let leaseRules = leaseRoles.flatMap(Self.rules(of:))
        #expect(Set(leaseRules.flatMap(\.verbs)) == ["get", "create", "update"])
        #expect(Set(leaseRules.flatMap(\.apiGroups)) == ["coordination.k8s.io"])
        // Reached through a binding to the controller's service account.
        #expect(rules.contains { $0.resources.contains("leases") })
    }

    // MARK: - API proxy

    @Test("the API proxy may impersonate users and groups, nothing else (besides what managed clusters and --as need)")
    func apiProxyImpersonatesOnlyUsersAndGroups() throws {
        // The opt-in grants of --allow-user-impersonation are checked by their own test.
        let documents = try Self.documents().filter { $0.file != Self.userImpersonationFile }
        let rules = try Self.rulesGranted(to: Self.proxyAccount, in: documents).filter { $0.verbs.contains("impersonate") }
        #expect(!rules.isEmpty)
        for rule in rules {
            #expect(rule.verbs == ["impersonate"], "\(rule)")
            #expect(rule.apiGroups == [""], "\(rule)")
            #expect(Set(rule.resources).isSubset(of: ["users", "groups"]), "\(rule)")
            #expect(!rule.resources.contains { $0.contains("serviceaccounts") || $0.contains("uids") || $0.contains("userextras") }, "\(rule)")
        }
        #expect(Set(rules.flatMap(\.resources)) == ["users", "groups"])
    }

    @Test("on the admin cluster the API proxy reads registrations in verrazzano-mc only and may ask reviews; nothing more")
    func apiProxyManagedClusterGrants() throws {
        let documents = try Self.documents()
        let others = try Self.rulesGranted(to: Self.proxyAccount, in: documents.filter { $0.file != Self.userImpersonationFile })
            .filter { !$0.verbs.contains("impersonate") }
        let reading = documents.first { $0.kind == "Role" && $0.name == "verrazzano-authproxy-managed-clusters" }
        #expect(reading?.namespace == "verrazzano-mc", "a Role in the managed-cluster namespace, not a ClusterRole")
        for rule in others {
            #expect(!rule.verbs.contains("*") && !rule.resources.contains("*"), "\(rule)")
            if rule.resources == ["subjectaccessreviews"] {
                #expect(rule.verbs == ["create"] && rule.apiGroups == ["authorization.k8s.io"], "\(rule)")
            } else {
                #expect(Set(rule.verbs) == ["get", "list", "watch"], "\(rule)")
                #expect(rule.resources == ["verrazzanomanagedclusters"] || rule.resources == ["secrets"], "\(rule)")
            }
        }
        #expect(Set(others.flatMap(\.resources)) == ["verrazzanomanagedclusters", "secrets", "subjectaccessreviews"])
    }

    // MARK: - CRDs

    @Test("VerrazzanoProject is served as v1alpha1 (storage) and v1beta1, each accepting both subject locations")
    func verrazzanoProjectCRDVersions() throws {
        let documents = try Self.documents()
        let crd = try #require(documents.first {
            $0.kind == "CustomResourceDefinition" && $0.name == "verrazzanoprojects.clusters.verrazzano.io"
        })
        let spec = try #require(Self.map(crd.object["spec"]))
        #expect(spec["group"] as? String == VerrazzanoProject.group)
        #expect(spec["scope"] as? String == "Namespaced")
        #expect(Self.value(spec, "names.kind") as? String == "VerrazzanoProject")
        #expect(Self.value(spec, "names.plural") as? String == "verrazzanoprojects")
        #expect(Set(Self.strings(Self.value(spec, "names.shortNames"))) == ["vp", "vps"])
        let strategy = Self.value(spec, "conversion.strategy") as? String
        #expect(strategy == nil || strategy == "None")

        let versions = Self.list(spec["versions"]).compactMap(Self.map)
        #expect(Set(versions.compactMap { $0["name"] as? String }) == Set(VerrazzanoProject.versions))
        #expect(versions.compactMap { $0["name"] as? String }.count == 2)
        let storage = versions.filter { $0["storage"] as? Bool == true }
        #expect(storage.count == 1)
        #expect(storage.first?["name"] as? String == "v1alpha1")
        for version in versions {
            let name = version["name"] as? String ?? "?"
            #expect(version["served"] as? Bool == true, "\(name) not served")
            #expect(Self.map(Self.value(version, "subresources.status")) != nil, "\(name) has no status subresource")
            let schema = try #require(Self.map(Self.value(version, "schema.openAPIV3Schema")), "\(name) has no schema")
            let specProperties = try #require(Self.map(Self.value(schema, "properties.spec.properties")))
            for path in ["security", "template.properties.security"] {
                let security = try #require(Self.map(Self.value(specProperties, path)), "\(name): no spec.\(path)")
                for field in ["projectAdminSubjects", "projectMonitorSubjects"] {
                    let subject = try #require(Self.map(Self.value(security, "properties.\(field).items")), "\(name): \(path).\(field)")
                    #expect(Self.strings(subject["required"]).contains("name"), "\(name): \(path).\(field)")
                    #expect(Set((Self.map(subject["properties"]) ?? [:]).keys) == ["kind", "name", "namespace", "apiGroup"])
                }
            }
            #expect(Self.map(Self.value(specProperties, "placement.properties.clusters.items.properties.name")) != nil)
            #expect(Self.map(Self.value(specProperties, "template.properties.namespaces.items.properties.metadata")) != nil)
            #expect(Self.value(specProperties, "template.properties.namespaces.items.properties.spec.x-kubernetes-preserve-unknown-fields") as? Bool == true)
            #expect(Self.strings(Self.value(schema, "properties.status.properties.state.enum")) == ["Pending", "Succeeded", "Failed"])
        }
    }

    @Test("every CRD is apiextensions.k8s.io/v1 with one storage version and a schema per version")
    func everyCRDHasOneStorageVersion() throws {
        let crds = try Self.documents().filter { $0.kind == "CustomResourceDefinition" }
        #expect(Set(crds.map(\.name)) == [
            "verrazzanoprojects.clusters.verrazzano.io",
            "verrazzanos.install.verrazzano.io",
            "verrazzanomanagedclusters.clusters.verrazzano.io",
        ])
        for crd in crds {
            #expect(crd.object["apiVersion"] as? String == "apiextensions.k8s.io/v1")
            let spec = try #require(Self.map(crd.object["spec"]))
            let plural = Self.value(spec, "names.plural") as? String ?? ""
            #expect(crd.name == "\(plural).\(spec["group"] as? String ?? "")")
            let versions = Self.list(spec["versions"]).compactMap(Self.map)
            #expect(versions.filter { $0["storage"] as? Bool == true }.count == 1, "\(crd)")
            for version in versions {
                #expect(Self.value(version, "schema.openAPIV3Schema.type") as? String == "object", "\(crd)")
            }
        }
        let vmc = try #require(crds.first { $0.name.hasPrefix("verrazzanomanagedclusters.") })
        #expect(Self.strings(Self.value(vmc.object, "spec.names.shortNames")).contains("vmc"))
        let verrazzano = try #require(crds.first { $0.name.hasPrefix("verrazzanos.") })
        let version = try #require(Self.map(Self.list(Self.value(verrazzano.object, "spec.versions")).first))
        #expect(version["name"] as? String == "v1beta1")
        let spec = try #require(Self.map(Self.value(version, "schema.openAPIV3Schema.properties.spec")))
        #expect(spec["x-kubernetes-preserve-unknown-fields"] as? Bool == true)
        #expect(Self.map(Self.value(spec, "properties.security.properties.adminSubjects.items")) != nil)
        #expect(Self.map(Self.value(spec, "properties.security.properties.monitorSubjects.items")) != nil)
    }

    // MARK: - Deployments

    @Test("both Deployments run vzauth as non-root, read-only, without capabilities, with probes and resources")
    func deploymentsAreHardened() throws {
        let documents = try Self.documents()
        let deployments = documents.filter { $0.kind == "Deployment" }
        #expect(Set(deployments.map(\.name)) == [Self.controllerAccount, Self.proxyAccount])
        for deployment in deployments {
            #expect(Self.value(deployment.object, "spec.replicas") as? Int == 2, "\(deployment)")
            let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")), "\(deployment)")
            let account = pod["serviceAccountName"] as? String ?? ""
            #expect(documents.contains { $0.kind == "ServiceAccount" && $0.name == account && $0.namespace == deployment.namespace },
                    "\(deployment) runs as undefined ServiceAccount \(account)")
            let podSecurity = Self.map(pod["securityContext"]) ?? [:]
            let containers = Self.list(pod["containers"]).compactMap(Self.map)
            #expect(containers.count == 1, "\(deployment)")
            for container in containers {
                let security = Self.map(container["securityContext"]) ?? [:]
                func setting(_ key: String) -> Any? { security[key] ?? podSecurity[key] }
                #expect(setting("runAsNonRoot") as? Bool == true, "\(deployment) may run as root")
                if let user = setting("runAsUser") as? Int { #expect(user != 0, "\(deployment)") }
                #expect(security["readOnlyRootFilesystem"] as? Bool == true, "\(deployment)")
                #expect(security["allowPrivilegeEscalation"] as? Bool == false, "\(deployment)")
                #expect(security["privileged"] as? Bool != true, "\(deployment)")
                #expect(Self.strings(Self.value(security, "capabilities.drop")).contains("ALL"), "\(deployment)")
                #expect(Self.strings(Self.value(security, "capabilities.add")).isEmpty, "\(deployment)")
                #expect(Self.map(setting("seccompProfile"))?["type"] as? String == "RuntimeDefault", "\(deployment)")

                #expect(Self.strings(container["command"]).first == "vzauth", "\(deployment)")
                #expect(!(container["image"] as? String ?? "").isEmpty, "\(deployment)")
                let ports = Self.list(container["ports"]).compactMap(Self.map)
                func port(_ value: Any?) -> Int? {
                    if let number = value as? Int { return number }
                    return ports.first { $0["name"] as? String == value as? String }?["containerPort"] as? Int
                }
                for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                    let get = try #require(Self.map(Self.value(container, "\(probe).httpGet")), "\(deployment) has no \(probe)")
                    #expect(get["path"] as? String == path, "\(deployment) \(probe)")
                    #expect(port(get["port"]) == 8776, "\(deployment) \(probe)")
                }
                for key in ["requests", "limits"] {
                    let resources = Self.map(Self.value(container, "resources.\(key)")) ?? [:]
                    #expect(resources["cpu"] != nil && resources["memory"] != nil, "\(deployment) resources.\(key)")
                }
            }
        }
    }

    @Test("the Deployments run the commands with the documented flags")
    func deploymentArguments() throws {
        let documents = try Self.documents()
        func container(_ name: String) throws -> [String: Any] {
            // The single-issuer proxy of api-proxy.yaml (the managed cluster's replacement has its own test).
            let deployment = try #require(documents.first {
                $0.kind == "Deployment" && $0.name == name && !$0.file.hasPrefix("managed-cluster/")
            })
            return try #require(Self.map(Self.list(Self.value(deployment.object, "spec.template.spec.containers")).first))
        }
        func pairs(_ args: [String]) -> [(String, String)] { Self.flagPairs(args) }

        let controller = try container(Self.controllerAccount)
        let controllerCommand = Self.strings(controller["command"]) + Self.strings(controller["args"])
        #expect(Array(controllerCommand.prefix(2)) == ["vzauth", "rbac-controller"])
        let controllerFlags = pairs(Array(controllerCommand.dropFirst(2)))
        #expect(controllerFlags.contains { $0 == ("--leader-election-namespace", Self.systemNamespace) })
        #expect(controllerFlags.contains { $0 == ("--management-listen", "0.0.0.0:8776") })

        let proxy = try container(Self.proxyAccount)
        let proxyCommand = Self.strings(proxy["command"]) + Self.strings(proxy["args"])
        #expect(Array(proxyCommand.prefix(2)) == ["vzauth", "api-proxy"])
        let proxyFlags = pairs(Array(proxyCommand.dropFirst(2)))
        #expect(proxyFlags.filter { $0.0 == "--oidc-client-id" }.map(\.1) == ["verrazzano-pkce", "verrazzano-pg"])
        #expect(proxyFlags.contains { $0 == ("--required-role", "vz_api_access") })
        #expect(proxyFlags.contains { $0 == ("--listen", "0.0.0.0:8775") })
        #expect(proxyFlags.contains { $0 == ("--management-listen", "0.0.0.0:8776") })
        #expect(proxyFlags.contains { $0.0 == "--oidc-issuer" && $0.1.hasPrefix("https://") })
        #expect(!proxyFlags.contains { $0.0 == "--insecure-allow-system-identities" })

        let service = try #require(documents.first { $0.kind == "Service" && $0.name == Self.proxyAccount })
        let servicePorts = Self.list(Self.value(service.object, "spec.ports")).compactMap(Self.map)
        #expect(servicePorts.map { $0["port"] as? Int } == [8775])
        let selector = Self.map(Self.value(service.object, "spec.selector")) ?? [:]
        #expect(selector["app.kubernetes.io/name"] as? String == Self.proxyAccount)
    }

    // MARK: - Optional setups

    @Test("a managed cluster's API proxy reads its issuers from a mounted --config file naming the admin cluster's issuer")
    func managedClusterProxyReadsIssuersFromConfig() throws {
        let documents = try Self.documents().filter { $0.file == Self.managedClusterFile }
        let configMap = try #require(documents.first { $0.kind == "ConfigMap" })
        #expect(configMap.namespace == Self.systemNamespace)
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        #expect(deployment.name == Self.proxyAccount, "replaces api-proxy.yaml's Deployment, whose Service selects it")
        #expect(Set(documents.map(\.kind)) == ["ConfigMap", "Deployment"], "everything else is api-proxy.yaml's")

        // The same pods as api-proxy.yaml's: its Service and ServiceAccount apply.
        let base = try #require(try Self.documents().first { $0.kind == "Deployment" && $0.name == Self.proxyAccount && $0.file == "api-proxy.yaml" })
        let selector = Self.map(Self.value(deployment.object, "spec.selector.matchLabels")) as? [String: String]
        #expect(selector != nil && selector == Self.map(Self.value(base.object, "spec.selector.matchLabels")) as? [String: String])
        #expect(Self.value(deployment.object, "spec.template.spec.serviceAccountName") as? String == Self.proxyAccount)

        // The arguments: --config naming the file the ConfigMap is mounted as, no single-issuer flags.
        let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")))
        let container = try #require(Self.map(Self.list(pod["containers"]).first))
        let command = Self.strings(container["command"]) + Self.strings(container["args"])
        #expect(Array(command.prefix(2)) == ["vzauth", "api-proxy"])
        let flags = Self.flagPairs(Array(command.dropFirst(2)))
        #expect(!flags.contains { ["--oidc-issuer", "--oidc-client-id", "--oidc-discovery-url", "--required-role"].contains($0.0) },
                "the issuers are the config file's: \(flags)")
        #expect(flags.contains { $0 == ("--listen", "0.0.0.0:8775") } && flags.contains { $0 == ("--management-listen", "0.0.0.0:8776") })
        let configPath = try #require(flags.first { $0.0 == "--config" }?.1)

        /// The volume mounted where `path` is, and the file name under the mount.
        func mounted(_ path: String) throws -> (volume: [String: Any], file: String) {
            let mounts = Self.list(container["volumeMounts"]).compactMap(Self.map)
            let mount = try #require(mounts.first { path.hasPrefix(($0["mountPath"] as? String ?? "?") + "/") }, "\(path) is not mounted")
            #expect(mount["readOnly"] as? Bool == true, "\(mount)")
            let volume = try #require(Self.list(pod["volumes"]).compactMap(Self.map).first { $0["name"] as? String == mount["name"] as? String })
            return (volume, String(path.dropFirst((mount["mountPath"] as? String ?? "").count + 1)))
        }
        let configVolume = try mounted(configPath)
        #expect(Self.value(configVolume.volume, "configMap.name") as? String == configMap.name)
        let items = Self.list(Self.value(configVolume.volume, "configMap.items")).compactMap(Self.map)
        let key = items.first { $0["path"] as? String == configVolume.file }?["key"] as? String ?? configVolume.file
        let text = try #require(Self.map(configMap.object["data"])?[key] as? String, "the ConfigMap has no \(key)")

        // The file: an issuers list with the documented keys, valid as the proxy validates it.
        let settings = try #require(Self.map(try Yams.load(yaml: text)))
        #expect(Set(settings.keys).isSubset(of: ["issuers", "log-level"]), "\(settings.keys)")
        let entries = Self.list(settings["issuers"]).compactMap(Self.map)
        #expect(!entries.isEmpty)
        let documentedKeys: Set<String> = [
            "issuer", "discovery-url", "ca-file", "client-id", "audience", "username-claim", "groups-claim",
            "groups-claim-delimiter", "roles-claim", "required-role",
        ]
        for entry in entries {
            #expect(Set(entry.keys).isSubset(of: documentedKeys), "\(entry.keys)")
            #expect((entry["issuer"] as? String)?.hasPrefix("https://") == true)
            #expect(Self.strings(entry["client-id"]) == ["verrazzano-pkce", "verrazzano-pg"])
            #expect(entry["required-role"] as? String == "vz_api_access")
            if let caFile = entry["ca-file"] as? String {
                let caVolume = try mounted(caFile)
                let secret = try #require(Self.map(caVolume.volume["secret"]), "ca-file \(caFile) is not from a Secret")
                let caItems = Self.list(secret["items"]).compactMap(Self.map)
                #expect(caItems.isEmpty || caItems.contains { $0["path"] as? String == caVolume.file }, "\(caFile)")
            }
        }
        let issuers = try YAMLDecoder().decode(IssuersConfiguration.self, from: text)
        try issuers.validate()
        #expect(issuers.issuers.count == entries.count)
    }

    @Test("--allow-user-impersonation adds only a cluster-wide review grant and impersonation of the two original-* extras")
    func userImpersonationGrants() throws {
        let documents = try Self.documents().filter { $0.file == Self.userImpersonationFile }
        #expect(Set(documents.map(\.kind)) == ["ClusterRole", "ClusterRoleBinding"],
                "impersonation and reviews are not namespaced: a Role would grant nothing")
        let rules = try Self.rulesGranted(to: Self.proxyAccount, in: documents)
        #expect(rules.count == 2, "\(rules)")
        for rule in rules {
            for field in [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames] {
                #expect(!field.contains { $0.contains("*") }, "wildcard in \(rule)")
            }
            #expect(rule.verbs.count == 1, "\(rule)")
        }
        #expect(rules.contains {
            $0.apiGroups == ["authorization.k8s.io"] && $0.resources == ["subjectaccessreviews"] && $0.verbs == ["create"]
        })
        // The extras the proxy sends: Impersonate-Extra-Original-User and -Original-Groups, authorized as
        // `impersonate` on userextras/<key lower-cased> (any value: no resourceNames).
        let extras = try #require(rules.first { $0.verbs == ["impersonate"] })
        #expect(extras.apiGroups == ["authentication.k8s.io"], "\(extras)")
        #expect(Set(extras.resources) == ["userextras/original-user", "userextras/original-groups"], "\(extras)")
        #expect(extras.resourceNames.isEmpty)
    }
}
