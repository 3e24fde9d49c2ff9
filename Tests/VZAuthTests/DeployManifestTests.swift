import Foundation
import Multicluster
import Synchronization
import Testing
import VZAuthTestSupport
import VerrazzanoRBAC
import Yams

/// The Kubernetes manifests under `deploy/`: the kustomize base, overlays and example rendered with
/// `kubectl kustomize` (as they are applied), the CRDs and the optional components' files parsed as YAML. Identity of
/// every object, least privilege of every service account, the CRDs' versions, the Deployments' hardening and what
/// each overlay adds.
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
    static let oidcProxyAccount = "vzauth-oidc-proxy"
    /// The opt-in grants of `--allow-user-impersonation` (a kustomize component).
    static let userImpersonationFile = "components/user-impersonation/api-proxy-user-impersonation.yaml"
    /// The kustomizations, as `kubectl kustomize` renders them.
    static let base = "base"
    static let adminCluster = "overlays/admin-cluster"
    /// A managed cluster's API proxy, reading several issuers from a `--config` file.
    static let managedCluster = "overlays/managed-cluster"
    static let grafanaSidecar = "examples/grafana-sidecar"
    /// The overlays an operator applies: each holds the whole of one cluster's vzauth.
    static let overlays = [base, adminCluster, managedCluster]
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

    /// The non-empty documents of a YAML text, attributed to `file`.
    static func documents(in text: String, file: String) throws -> [Document] {
        var documents: [Document] = []
        var sequence = try Yams.load_all(yaml: text)
        var index = 0
        while let value = sequence.next() {
            defer { index += 1 }
            if value is NSNull { continue }
            let object = try #require(map(value), "\(file)#\(index) is not a mapping")
            documents.append(Document(file: file, index: index, object: object))
        }
        if let error = sequence.error { throw error }
        return documents
    }

    /// The documents of the files under `deploy/` whose paths (relative to it) start with `prefix`: the CRDs and
    /// the components' resources, which no overlay includes by default.
    static func files(_ prefix: String) throws -> [Document] {
        var documents: [Document] = []
        for file in try manifestFiles() where file.hasPrefix(prefix) && !file.hasSuffix("kustomization.yaml") {
            let text = try String(contentsOf: deployDirectory.appendingPathComponent(file), encoding: .utf8)
            documents += try Self.documents(in: text, file: file)
        }
        return documents
    }

    /// The objects a kustomization under `deploy/` produces: `kubectl kustomize deploy/<kustomization>`, as
    /// `kubectl apply -k` applies them. Each document's `file` is the kustomization.
    static func rendered(_ kustomization: String) throws -> [Document] {
        // Rendered once per kustomization and test run: the suites ask for the same few many times, and each
        // kubectl run blocks a thread of the small test pool (2 on 2 cores) while it works.
        if let text = renderedTexts.withLock({ $0[kustomization] }) {
            return try documents(in: text, file: kustomization)
        }
        let kubectl = try ChildProcess("/usr/bin/kubectl", ["kustomize", deployDirectory.appendingPathComponent(kustomization).path],
                                       separateErrors: true)
        let status = kubectl.waitUntilExit()
        #expect(status == 0, "kubectl kustomize deploy/\(kustomization): \(kubectl.errorText)")
        if status == 0 { renderedTexts.withLock { $0[kustomization] = kubectl.text } }
        return try documents(in: kubectl.text, file: kustomization)
    }

    /// `kubectl kustomize`'s output per kustomization, for this test run.
    private static let renderedTexts = Mutex<[String: String]>([:])

    /// The first container of a Deployment's pod.
    static func firstContainer(_ deployment: Document) throws -> [String: Any] {
        try #require(map(list(value(deployment.object, "spec.template.spec.containers")).first), "\(deployment)")
    }

    /// The flag/value pairs of a vzauth container's command and args, after `/vzauth SUBCOMMAND`.
    static func flags(_ container: [String: Any], subcommand: String) -> [(String, String)] {
        let command = strings(container["command"]) + strings(container["args"])
        #expect(Array(command.prefix(2)) == ["/vzauth", subcommand], "\(command)")
        return flagPairs(Array(command.dropFirst(2)))
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

    @Test("every kustomization renders, and every object has apiVersion, kind, metadata.name, its namespace and vzauth's labels")
    func everyDocumentIsIdentified() throws {
        let files = try Self.manifestFiles()
        for expected in [
            "crds/verrazzanoprojects.clusters.verrazzano.io.yaml",
            "crds/verrazzanos.install.verrazzano.io.yaml",
            "crds/verrazzanomanagedclusters.clusters.verrazzano.io.yaml",
            "base/kustomization.yaml",
            "base/rbac-controller.yaml",
            "base/api-proxy.yaml",
            "overlays/admin-cluster/kustomization.yaml",
            "overlays/admin-cluster/api-proxy-managed-clusters.yaml",
            "overlays/admin-cluster/oidc-proxy.yaml",
            "overlays/managed-cluster/kustomization.yaml",
            "examples/grafana-sidecar/kustomization.yaml",
            "components/servicemonitor/kustomization.yaml",
            "components/network-policy/kustomization.yaml",
            "components/user-impersonation/kustomization.yaml",
            Self.userImpersonationFile,
        ] {
            #expect(files.contains(expected), "deploy/\(expected) is missing")
        }
        // No kustomization in deploy/crds: `kubectl apply -f deploy/crds/` and `kubectl wait -f deploy/crds/` read
        // every file there as an object.
        #expect(!files.contains("crds/kustomization.yaml"))
        #expect(try Self.files("crds/").count == 3)

        let clusterScoped: Set<String> = ["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]
        for kustomization in Self.overlays + [Self.grafanaSidecar] {
            let documents = try Self.rendered(kustomization)
            #expect(documents.count >= 15 || kustomization == Self.grafanaSidecar, "\(kustomization): \(documents.count) objects")
            let names = documents.map { "\($0.kind)/\($0.namespace ?? "")/\($0.name)" }
            #expect(Set(names).count == names.count, "\(kustomization) declares an object twice")
            for document in documents {
                #expect(!(document.object["apiVersion"] as? String ?? "").isEmpty, "\(document) has no apiVersion")
                #expect(!document.kind.isEmpty, "\(document) has no kind")
                #expect(!document.name.isEmpty, "\(document) has no metadata.name")
                if clusterScoped.contains(document.kind) {
                    #expect(document.namespace == nil, "\(document) is cluster-scoped but names a namespace")
                } else if kustomization == Self.grafanaSidecar {
                    #expect(document.namespace == "grafana", "\(document) is not in the example's namespace")
                } else if document.name == "verrazzano-authproxy-managed-clusters" {
                    // Reading managed-cluster registrations: granted where they are.
                    #expect(document.namespace == "verrazzano-mc", "\(document) is not in verrazzano-mc")
                } else {
                    #expect(document.namespace == Self.systemNamespace, "\(document) is not in \(Self.systemNamespace)")
                }
                if document.kind != "Namespace" {
                    let labels = Self.map(document.metadata["labels"]) ?? [:]
                    #expect(!(labels["app.kubernetes.io/name"] as? String ?? "").isEmpty, "\(document) has no app.kubernetes.io/name")
                    #expect(labels["app.kubernetes.io/part-of"] as? String == "vzauth", "\(document) is not part-of vzauth")
                }
            }
            // A Namespace sets nothing but its name, so applying an overlay where Verrazzano created it changes
            // nothing.
            for namespace in documents where namespace.kind == "Namespace" && kustomization != Self.grafanaSidecar {
                #expect([Self.systemNamespace, "verrazzano-mc"].contains(namespace.name), "\(namespace)")
                #expect(Set(namespace.metadata.keys) == ["name"], "\(namespace) sets more than its name")
            }
        }
    }

    // MARK: - RBAC controller

    @Test("the controller's ClusterRole has no wildcards, and bind/escalate only on named roles")
    func controllerClusterRoleIsLeastPrivilege() throws {
        let documents = try Self.rendered(Self.adminCluster)
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
        for overlay in Self.overlays {
            try Self.controllerCannotDeleteNamespaces(in: Self.rendered(overlay))
        }
    }

    static func controllerCannotDeleteNamespaces(in documents: [Document]) throws {
        let rules = try rulesGranted(to: controllerAccount, in: documents)
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
        #expect(leaseRoles.first?.namespace == systemNamespace)
        let leaseRules = leaseRoles.flatMap(Self.rules(of:))
        #expect(Set(leaseRules.flatMap(\.verbs)) == ["get", "create", "update"])
        #expect(Set(leaseRules.flatMap(\.apiGroups)) == ["coordination.k8s.io"])
        // Reached through a binding to the controller's service account.
        #expect(rules.contains { $0.resources.contains("leases") })
    }

    // MARK: - API proxy

    @Test("the API proxy may impersonate users and groups, nothing else (besides what managed clusters and --as need)")
    func apiProxyImpersonatesOnlyUsersAndGroups() throws {
        // The opt-in grants of --allow-user-impersonation (a component no overlay includes) have their own test.
        for overlay in Self.overlays {
            let documents = try Self.rendered(overlay)
            let rules = try Self.rulesGranted(to: Self.proxyAccount, in: documents).filter { $0.verbs.contains("impersonate") }
            try Self.impersonatesOnlyUsersAndGroups(rules)
            // The OIDC proxy never calls the Kubernetes API: no grant at all, and no token in its pods.
            #expect(try Self.rulesGranted(to: Self.oidcProxyAccount, in: documents).isEmpty, "\(overlay)")
            for account in documents where account.kind == "ServiceAccount" && account.name == Self.oidcProxyAccount {
                #expect(account.object["automountServiceAccountToken"] as? Bool == false)
            }
        }
    }

    static func impersonatesOnlyUsersAndGroups(_ rules: [Rule]) throws {
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
        for overlay in [Self.base, Self.managedCluster] {
            let others = try Self.rulesGranted(to: Self.proxyAccount, in: Self.rendered(overlay)).filter { !$0.verbs.contains("impersonate") }
            #expect(others.isEmpty, "\(overlay): the API proxy is granted more than impersonation: \(others)")
        }
        let documents = try Self.rendered(Self.adminCluster)
        let others = try Self.rulesGranted(to: Self.proxyAccount, in: documents)
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
        let documents = try Self.files("crds/")
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
        let crds = try Self.files("crds/").filter { $0.kind == "CustomResourceDefinition" }
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

    /// The hardening every container in the manifests has: non-root, read-only, no capabilities, seccomp, probes
    /// and resources. vzauth containers probe /healthz and /readyz on the management port 8776.
    static func checkHardened(_ deployment: Document, pod: [String: Any], container: [String: Any]) throws {
        let podSecurity = map(pod["securityContext"]) ?? [:]
        let security = map(container["securityContext"]) ?? [:]
        let name = "\(deployment) container \(container["name"] as? String ?? "?")"
        func setting(_ key: String) -> Any? { security[key] ?? podSecurity[key] }
        #expect(setting("runAsNonRoot") as? Bool == true, "\(name) may run as root")
        if let user = setting("runAsUser") as? Int { #expect(user != 0, "\(name)") }
        #expect(security["readOnlyRootFilesystem"] as? Bool == true, "\(name)")
        #expect(security["allowPrivilegeEscalation"] as? Bool == false, "\(name)")
        #expect(security["privileged"] as? Bool != true, "\(name)")
        #expect(strings(value(security, "capabilities.drop")).contains("ALL"), "\(name)")
        #expect(strings(value(security, "capabilities.add")).isEmpty, "\(name)")
        #expect(map(setting("seccompProfile"))?["type"] as? String == "RuntimeDefault", "\(name)")
        #expect(!(container["image"] as? String ?? "").isEmpty, "\(name)")
        for key in ["requests", "limits"] {
            let resources = map(value(container, "resources.\(key)")) ?? [:]
            #expect(resources["cpu"] != nil && resources["memory"] != nil, "\(name) resources.\(key)")
        }
        for probe in ["livenessProbe", "readinessProbe"] {
            #expect(map(container[probe]) != nil, "\(name) has no \(probe)")
        }
        // A read-only root: vzauth's temporary files go to an emptyDir on /tmp.
        let mounts = list(container["volumeMounts"]).compactMap(map)
        let tmp = try #require(mounts.first { $0["mountPath"] as? String == "/tmp" }, "\(name) has no writable /tmp")
        let volume = list(pod["volumes"]).compactMap(map).first { $0["name"] as? String == tmp["name"] as? String }
        #expect(volume.flatMap { map($0["emptyDir"]) } != nil, "\(name): /tmp is not an emptyDir")

        guard strings(container["command"]).first == "/vzauth" else { return }
        // The image's entrypoint is /vzauth on an otherwise empty root (Containerfile): no PATH lookup.
        #expect((container["image"] as? String ?? "").hasPrefix("vzauth:"), "\(name): the placeholder image is vzauth:TAG")
        let ports = list(container["ports"]).compactMap(map)
        func port(_ value: Any?) -> Int? {
            if let number = value as? Int { return number }
            return ports.first { $0["name"] as? String == value as? String }?["containerPort"] as? Int
        }
        #expect(port("metrics") == 8776, "\(name): the management port is named metrics")
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
            let get = try #require(map(value(container, "\(probe).httpGet")), "\(name) has no \(probe)")
            #expect(get["path"] as? String == path, "\(name) \(probe)")
            #expect(port(get["port"]) == 8776, "\(name) \(probe)")
        }
    }

    @Test("every Deployment runs vzauth as non-root, read-only, without capabilities, with probes, resources, spread, a PodDisruptionBudget and its metrics port in a Service")
    func deploymentsAreHardened() throws {
        let expected: [String: Set<String>] = [
            Self.base: [Self.controllerAccount, Self.proxyAccount],
            Self.adminCluster: [Self.controllerAccount, Self.proxyAccount, Self.oidcProxyAccount],
            Self.managedCluster: [Self.controllerAccount, Self.proxyAccount],
        ]
        for overlay in Self.overlays {
            let documents = try Self.rendered(overlay)
            let deployments = documents.filter { $0.kind == "Deployment" }
            #expect(Set(deployments.map(\.name)) == expected[overlay], "\(overlay)")
            for deployment in deployments {
                #expect(Self.value(deployment.object, "spec.replicas") as? Int == 2, "\(deployment)")
                let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")), "\(deployment)")
                let account = pod["serviceAccountName"] as? String ?? ""
                #expect(documents.contains { $0.kind == "ServiceAccount" && $0.name == account && $0.namespace == deployment.namespace },
                        "\(deployment) runs as undefined ServiceAccount \(account)")
                let containers = Self.list(pod["containers"]).compactMap(Self.map)
                #expect(containers.count == 1, "\(deployment)")
                for container in containers {
                    try Self.checkHardened(deployment, pod: pod, container: container)
                    #expect(Self.strings(container["command"]).first == "/vzauth", "\(deployment)")
                }
                let labels = Self.map(Self.value(deployment.object, "spec.selector.matchLabels")) as? [String: String] ?? [:]
                #expect(labels == ["app.kubernetes.io/name": deployment.name], "\(deployment)")
                func selects(_ document: Document, _ path: String) -> Bool {
                    Self.map(Self.value(document.object, path)) as? [String: String] == labels && document.namespace == deployment.namespace
                }
                // Replicas spread over nodes and zones.
                let spread = Self.list(pod["topologySpreadConstraints"]).compactMap(Self.map)
                #expect(Set(spread.compactMap { $0["topologyKey"] as? String }) == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"],
                        "\(deployment)")
                for constraint in spread {
                    #expect(Self.map(Self.value(constraint, "labelSelector.matchLabels")) as? [String: String] == labels, "\(deployment)")
                }
                // A drain takes one replica at a time.
                let budgets = documents.filter { $0.kind == "PodDisruptionBudget" && selects($0, "spec.selector.matchLabels") }
                #expect(budgets.count == 1, "\(deployment) has no PodDisruptionBudget")
                #expect(budgets.first.flatMap { Self.value($0.object, "spec.maxUnavailable") as? Int } == 1, "\(deployment)")
                // The management port is reachable through a Service, by name, for Prometheus.
                let services = documents.filter { $0.kind == "Service" && selects($0, "spec.selector") }
                #expect(services.count == 1, "\(deployment) has no Service")
                let ports = Self.list(services.first.flatMap { Self.value($0.object, "spec.ports") }).compactMap(Self.map)
                #expect(ports.contains { $0["name"] as? String == "metrics" && $0["port"] as? Int == 8776 && $0["targetPort"] as? String == "metrics" },
                        "\(deployment): no Service port named metrics")
            }
        }
    }

    @Test("the Deployments run the commands with the documented flags")
    func deploymentArguments() throws {
        func container(_ name: String, in overlay: String) throws -> [String: Any] {
            let deployment = try #require(try Self.rendered(overlay).first { $0.kind == "Deployment" && $0.name == name },
                                          "\(overlay) has no Deployment \(name)")
            return try Self.firstContainer(deployment)
        }

        for overlay in Self.overlays {
            let controllerFlags = Self.flags(try container(Self.controllerAccount, in: overlay), subcommand: "rbac-controller")
            #expect(controllerFlags.contains { $0 == ("--leader-election-namespace", Self.systemNamespace) }, "\(overlay)")
            #expect(controllerFlags.contains { $0 == ("--management-listen", "0.0.0.0:8776") }, "\(overlay)")
        }

        // The single-issuer proxy of the base and the admin cluster (the managed cluster's has its own test); only
        // the admin cluster's forwards to managed clusters.
        for overlay in [Self.base, Self.adminCluster] {
            let proxyFlags = Self.flags(try container(Self.proxyAccount, in: overlay), subcommand: "api-proxy")
            #expect(proxyFlags.filter { $0.0 == "--oidc-client-id" }.map(\.1) == ["verrazzano-pkce", "verrazzano-pg"])
            #expect(proxyFlags.contains { $0 == ("--required-role", "vz_api_access") })
            #expect(proxyFlags.contains { $0 == ("--listen", "0.0.0.0:8775") })
            #expect(proxyFlags.contains { $0 == ("--management-listen", "0.0.0.0:8776") })
            #expect(proxyFlags.contains { $0.0 == "--oidc-issuer" && $0.1.hasPrefix("https://") })
            #expect(!proxyFlags.contains { $0.0 == "--insecure-allow-system-identities" })
            #expect(!proxyFlags.contains { $0.0 == "--allow-user-impersonation" }, "opt-in: components/user-impersonation")
            #expect(proxyFlags.contains { $0.0 == "--managed-clusters" } == (overlay == Self.adminCluster), "\(overlay)")

            let service = try #require(try Self.rendered(overlay).first { $0.kind == "Service" && $0.name == Self.proxyAccount })
            let servicePorts = Self.list(Self.value(service.object, "spec.ports")).compactMap(Self.map)
            #expect(servicePorts.map { $0["port"] as? Int } == [8775, 8776])
            #expect(servicePorts.map { $0["name"] as? String } == ["http", "metrics"])
            let selector = Self.map(Self.value(service.object, "spec.selector")) ?? [:]
            #expect(selector["app.kubernetes.io/name"] as? String == Self.proxyAccount)
        }
    }

    @Test("the admin cluster's OIDC proxy serves the consoles in shared mode, with its cookie secret from a Secret")
    func oidcProxySharedMode() throws {
        let documents = try Self.rendered(Self.adminCluster)
        let deployment = try #require(documents.first { $0.kind == "Deployment" && $0.name == Self.oidcProxyAccount })
        let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")))
        #expect(pod["automountServiceAccountToken"] as? Bool == false, "the OIDC proxy does not call the Kubernetes API")
        let container = try Self.firstContainer(deployment)
        let flags = Self.flags(container, subcommand: "oidc-proxy")
        #expect(flags.contains { $0.0 == "--oidc-issuer" && $0.1.hasPrefix("https://") })
        #expect(flags.contains { $0 == ("--required-role", "vz_api_access") })
        #expect(flags.contains { $0.0 == "--public-url" && $0.1.hasPrefix("https://") }, "Secure cookies behind the TLS ingress")
        #expect(!flags.contains { $0.0 == "--upstream" }, "shared mode routes by host")
        let routes = flags.filter { $0.0 == "--route" }.map(\.1)
        #expect(routes.count >= 2)
        for route in routes {
            let parts = route.split(separator: "=", maxSplits: 1).map(String.init)
            #expect(parts.count == 2 && !parts[0].contains("/") && parts[1].hasPrefix("http"), "--route \(route) is not HOST=URL")
        }
        #expect(flags.contains { $0 == ("--listen", "0.0.0.0:8775") } && flags.contains { $0 == ("--management-listen", "0.0.0.0:8776") })
        try Self.checkCookieSecrets(flags, pod: pod, container: container)
    }

    /// Every --cookie-secret-file is a key of a mounted Secret (never a ConfigMap, never in the manifests).
    static func checkCookieSecrets(_ flags: [(String, String)], pod: [String: Any], container: [String: Any]) throws {
        let files = flags.filter { $0.0 == "--cookie-secret-file" }.map(\.1)
        #expect(!files.isEmpty, "no --cookie-secret-file")
        let mounts = list(container["volumeMounts"]).compactMap(map)
        for file in files {
            let mount = try #require(mounts.first { file.hasPrefix(($0["mountPath"] as? String ?? "?") + "/") }, "\(file) is not mounted")
            #expect(mount["readOnly"] as? Bool == true)
            let volume = try #require(list(pod["volumes"]).compactMap(map).first { $0["name"] as? String == mount["name"] as? String })
            #expect(!(value(volume, "secret.secretName") as? String ?? "").isEmpty, "\(file) is not from a Secret")
        }
    }

    // MARK: - Optional setups

    @Test("a managed cluster's API proxy reads its issuers from a mounted --config file naming the admin cluster's issuer")
    func managedClusterProxyReadsIssuersFromConfig() throws {
        let documents = try Self.rendered(Self.managedCluster)
        let configMap = try #require(documents.first { $0.kind == "ConfigMap" })
        #expect(configMap.namespace == Self.systemNamespace)
        let deployment = try #require(documents.first { $0.kind == "Deployment" && $0.name == Self.proxyAccount })
        // The base plus the ConfigMap: everything else (Service, ServiceAccount, RBAC) is the base's.
        let base = try Self.rendered(Self.base)
        func identities(_ documents: [Document]) -> Set<String> { Set(documents.map { "\($0.kind)/\($0.name)" }) }
        #expect(identities(documents) == identities(base).union(["ConfigMap/\(configMap.name)"]))

        // The same pods as the base's: its Service and ServiceAccount apply.
        let baseDeployment = try #require(base.first { $0.kind == "Deployment" && $0.name == Self.proxyAccount })
        let selector = Self.map(Self.value(deployment.object, "spec.selector.matchLabels")) as? [String: String]
        #expect(selector != nil && selector == Self.map(Self.value(baseDeployment.object, "spec.selector.matchLabels")) as? [String: String])
        #expect(Self.value(deployment.object, "spec.template.spec.serviceAccountName") as? String == Self.proxyAccount)

        // The arguments: --config naming the file the ConfigMap is mounted as, no single-issuer flags.
        let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")))
        let container = try #require(Self.map(Self.list(pod["containers"]).first))
        let flags = Self.flags(container, subcommand: "api-proxy")
        #expect(!flags.contains { $0.0 == "--managed-clusters" }, "only the admin cluster's proxy forwards")
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
        let documents = try Self.files(Self.userImpersonationFile)
        // The component adds the flag to the API proxy's arguments.
        let component = try String(contentsOf: Self.deployDirectory.appendingPathComponent("components/user-impersonation/kustomization.yaml"), encoding: .utf8)
        #expect(component.contains("kind: Component") && component.contains("value: --allow-user-impersonation")
                    && component.contains("name: \(Self.proxyAccount)"))
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

    @Test("the Grafana example: the OIDC proxy sidecar is the only way in; Grafana on loopback in auth-proxy mode")
    func grafanaSidecar() throws {
        let documents = try Self.rendered(Self.grafanaSidecar)
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        let pod = try #require(Self.map(Self.value(deployment.object, "spec.template.spec")))
        #expect(pod["automountServiceAccountToken"] as? Bool == false)
        let containers = Self.list(pod["containers"]).compactMap(Self.map)
        let sidecar = try #require(containers.first { Self.strings($0["command"]).first == "/vzauth" })
        let grafana = try #require(containers.first { ($0["image"] as? String ?? "").hasPrefix("grafana/grafana:") })
        for container in [sidecar, grafana] {
            try Self.checkHardened(deployment, pod: pod, container: container)
        }

        var environment: [String: String] = [:]
        for variable in Self.list(grafana["env"]).compactMap(Self.map) {
            environment[variable["name"] as? String ?? ""] = variable["value"] as? String
        }
        for (name, value) in [
            ("GF_AUTH_PROXY_ENABLED", "true"), ("GF_AUTH_PROXY_HEADER_NAME", "X-WEBAUTH-USER"),
            ("GF_AUTH_PROXY_HEADER_PROPERTY", "username"), ("GF_AUTH_PROXY_AUTO_SIGN_UP", "true"),
            ("GF_SERVER_HTTP_ADDR", "127.0.0.1"), ("GF_AUTH_DISABLE_LOGIN_FORM", "true"),
        ] {
            #expect(environment[name] == value, "Grafana's \(name)")
        }
        // Grafana trusts X-WEBAUTH-USER blindly: only the sidecar may reach it.
        #expect(Self.list(grafana["ports"]).isEmpty, "Grafana exposes no port")
        let flags = Self.flags(sidecar, subcommand: "oidc-proxy")
        #expect(flags.contains { $0 == ("--upstream", "http://127.0.0.1:\(environment["GF_SERVER_HTTP_PORT"] ?? "3000")") })
        let publicURL = try #require(flags.first { $0.0 == "--public-url" }?.1)
        #expect(publicURL.hasPrefix("https://"))
        #expect(environment["GF_AUTH_SIGNOUT_REDIRECT_URL"] == publicURL + "/_logout")
        try Self.checkCookieSecrets(flags, pod: pod, container: sidecar)

        let service = try #require(documents.first { $0.kind == "Service" })
        let ports = Self.list(Self.value(service.object, "spec.ports")).compactMap(Self.map)
        #expect(Set(ports.compactMap { $0["targetPort"] as? String }) == ["http", "metrics"], "only the sidecar's ports")
        // TLS at the ingress, from a Secret.
        let ingress = try #require(documents.first { $0.kind == "Ingress" })
        let tls = Self.list(Self.value(ingress.object, "spec.tls")).compactMap(Self.map)
        #expect(tls.contains { !($0["secretName"] as? String ?? "").isEmpty })
    }

    @Test("the optional components: ServiceMonitors scrape each Service's metrics port; NetworkPolicies open only http to all and metrics to monitoring")
    func components() throws {
        let services = try Self.rendered(Self.adminCluster).filter { $0.kind == "Service" }
        let monitors = try Self.files("components/servicemonitor/")
        #expect(Set(monitors.map(\.kind)) == ["ServiceMonitor"])
        #expect(Set(monitors.map(\.name)) == Set(services.map(\.name)), "one ServiceMonitor per Service")
        for monitor in monitors {
            let selector = Self.map(Self.value(monitor.object, "spec.selector.matchLabels")) as? [String: String]
            let service = services.first { Self.map(Self.value($0.object, "spec.selector")) as? [String: String] == selector }
            #expect(service != nil, "\(monitor) selects no Service")
            let endpoints = Self.list(Self.value(monitor.object, "spec.endpoints")).compactMap(Self.map)
            #expect(endpoints.map { $0["port"] as? String } == ["metrics"], "\(monitor)")
        }

        let policies = try Self.files("components/network-policy/")
        #expect(Set(policies.map(\.kind)) == ["NetworkPolicy"])
        #expect(Set(policies.map(\.name)) == Set(services.map(\.name)), "one NetworkPolicy per component")
        for policy in policies {
            let rules = Self.list(Self.value(policy.object, "spec.ingress")).compactMap(Self.map)
            for rule in rules {
                let ports = Self.list(rule["ports"]).compactMap(Self.map).compactMap { $0["port"] as? String }
                if ports == ["metrics"] {
                    #expect(!Self.list(rule["from"]).isEmpty, "\(policy): metrics open to everyone")
                } else {
                    #expect(ports == ["http"], "\(policy): \(ports)")
                }
            }
            #expect(rules.contains { Self.list($0["ports"]).compactMap(Self.map).contains { $0["port"] as? String == "http" } }
                        == (policy.name != Self.controllerAccount), "\(policy): only the proxies serve http")
        }
    }
}
