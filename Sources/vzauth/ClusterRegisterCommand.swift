import ArgumentParser
import Foundation
import KubeClient
import Logging
import Multicluster
import FileSupport

/// `vzauth cluster register NAME --api-url URL [--ca-file FILE]`: registers a managed cluster with the admin cluster
/// without Verrazzano's agent, by creating or updating its VerrazzanoManagedCluster, CA Secret and `status.apiUrl`.
struct ClusterRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a managed cluster with the admin cluster: its VerrazzanoManagedCluster, CA Secret and API URL.",
        discussion: """
            Run against the admin cluster. Creates or updates, in --managed-cluster-namespace: the \
            VerrazzanoManagedCluster NAME with status.apiUrl set to --api-url (the managed cluster's API proxy, \
            written through the status subresource) and, with --ca-file, the Secret ca-secret-NAME (type Opaque, \
            key cacrt, label app.kubernetes.io/managed-by=vzauth) named by spec.caSecret. Without --ca-file the \
            VMC has no spec.caSecret (the system roots are trusted) and a ca-secret-NAME that vzauth made is \
            deleted. Writes are server-side applies by field manager vzauth; only what differs is written, so a \
            second run with the same inputs changes nothing.

            The kubeconfig's user needs, in that namespace: get, create, patch and delete on secrets; get, create \
            and patch on verrazzanomanagedclusters and patch on verrazzanomanagedclusters/status (API group \
            clusters.verrazzano.io); a server-side apply that creates an object needs create. The CRD must be \
            installed (deploy/crds) and the namespace must exist.

            Example:
              vzauth cluster register managed1 --kubeconfig ~/.kube/admin \\
                --api-url https://managed1-proxy.example.com --ca-file managed1-ca.pem
            """)

    @Argument(help: "The managed cluster's name: a DNS-1123 subdomain, e.g. managed1.")
    var name: String

    @Option(help: "The managed cluster's API proxy, https://HOST[:PORT][/PATH] (becomes status.apiUrl).")
    var apiUrl: String

    @Option(help: "A PEM file of the CA certificate(s) that signed the managed cluster's API proxy certificate; by default the system roots.")
    var caFile: String?

    @OptionGroup var kube: KubeconfigOptions

    @Option(help: "The namespace of the VerrazzanoManagedClusters and CA Secrets.")
    var managedClusterNamespace: String = VerrazzanoManagedCluster.defaultNamespace

    /// Checks the inputs before anything runs, so that ArgumentParser shows this subcommand's usage with them.
    func validate() throws {
        _ = try self.registration()
    }

    func run() async throws {
        let registration = try self.registration()
        let connection = try self.connection()
        let logger = Logger(label: "vzauth.cluster-register") { _ in SwiftLogNoOpLogHandler() }
        let plan = try await KubernetesClient.withClient(connection: connection, logger: logger) { client in
            try await Self.register(registration, client: client, server: connection.baseURL)
        }
        for report in plan.reports { print(report) }
        if plan.changesNothing { print("Nothing changed: \(registration.name) was already registered like this.") }
        print("""
            Next: a kubeconfig for it through the admin cluster's API proxy (run with --managed-clusters): \
            vzauth cluster kubeconfig \(registration.name) --server https://ADMIN-API-PROXY
            """)
    }

    /// The checked inputs; every problem at once, as a usage error (exit code 64).
    func registration() throws -> ClusterRegistration {
        var problems: [String] = []
        if self.kube.kubeContext != nil, self.kube.kubeconfig == nil {
            problems.append("--kube-context needs --kubeconfig: give the kubeconfig that has the context")
        }
        let caFile = self.caFile.map { path in (path: path, contents: Self.read(path)) }
        do throws(ClusterRegistrationError) {
            let registration = try ClusterRegistration(name: self.name, apiURL: self.apiUrl, caFile: caFile,
                                                       namespace: self.managedClusterNamespace)
            if problems.isEmpty { return registration }
        } catch {
            problems += error.problems.map(\.description)
        }
        throw ValidationError(SettingsProblems(messages: problems).description)
    }

    /// The bytes of `path`, or why they cannot be read.
    static func read(_ path: String) -> Result<[UInt8], ClusterRegistrationError.Problem> {
        do {
            return .success(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            return .failure(.unreadableCAFile(path, FileErrorReason.of(error)))
        }
    }

    /// The admin cluster's API server: `--kubeconfig` (and `--kube-context`), else as kubectl finds it (in a pod
    /// the service account, else `$KUBECONFIG`, else `~/.kube/config`).
    func connection() throws -> KubeConnection {
        do {
            return try KubeConnectionLookup().connect(kubeconfig: self.kube.kubeconfig, context: self.kube.kubeContext)
                .connection
        } catch {
            throw ValidationError(error.description)
        }
    }


    /// Reads the live objects, writes what differs, and returns the plan carried out.
    static func register(
        _ registration: ClusterRegistration,
        client: KubernetesClient,
        server: String
    ) async throws -> ClusterRegistrationPlan {
        let namespace = registration.namespace
        let vmc = VerrazzanoManagedCluster.resource
        /// Runs one request, turning its failure into a message about `permission`.
        func request<Result: Sendable>(
            _ permission: ClusterRegistrationPermission, _ body: () async throws -> Result
        ) async throws -> Result {
            do {
                return try await body()
            } catch let error as KubeAPIError where error.code != 0 {
                throw ClusterRegistrationFailure(server: server, namespace: namespace, permission: permission, error: error)
            } catch let error as KubeAPIError {
                throw ClusterRegistrationFailure("\(server): \(error)")
            } catch let error as ClusterRegistrationFailure {
                throw error
            } catch {
                throw ClusterRegistrationFailure("cannot reach the admin cluster's API server \(server): \(error)")
            }
        }
        /// Reads one object; `nil` if it does not exist.
        func read<Object: Decodable & Sendable>(
            _ type: Object.Type, _ resource: KubeResource, name: String
        ) async throws -> Object? {
            let permission = ClusterRegistrationPermission(verb: "get", group: resource.group, resource: resource.resource, name: name)
            return try await request(permission) {
                do {
                    return try await client.get(type, resource, namespace: namespace, name: name)
                } catch let error as KubeAPIError where error.isNotFound && error.status?.details?.name == name {
                    return nil
                }
            }
        }

        // Is the CRD installed, with its status subresource?
        let resourceNames: Set<String>
        do {
            resourceNames = try await client.resourceNames(group: vmc.group, version: vmc.version)
        } catch let error as KubeAPIError where error.isNotFound {
            throw ClusterRegistrationFailure.crdNotInstalled(server: server, detail: "404 for /apis/\(vmc.apiVersion)")
        } catch let error as KubeAPIError where error.isUnauthorized {
            throw ClusterRegistrationFailure(
                "\(server) refused the kubeconfig's credential (\(error)): log in again, or pass another --kubeconfig or --kube-context")
        } catch let error as KubeAPIError where error.code != 0 {
            throw ClusterRegistrationFailure("\(server) refused to list the resources of \(vmc.apiVersion) (\(error))")
        } catch let error as KubeAPIError {
            throw ClusterRegistrationFailure("\(server): \(error)")
        } catch {
            throw ClusterRegistrationFailure("cannot reach the admin cluster's API server \(server): \(error)")
        }
        if let problem = ClusterRegistrationFailure.discoveryProblem(server: server, resourceNames: resourceNames) { throw problem }

        let liveSecret = try await read(ClusterCASecretObject.self, .secrets, name: registration.caSecretName)
        let liveCluster = try await read(VerrazzanoManagedCluster.self, vmc, name: registration.name.rawValue)
        let plan: ClusterRegistrationPlan
        do throws(ClusterRegistrationConflict) {
            plan = try ClusterRegistrationPlan(registration: registration, liveSecret: liveSecret, liveCluster: liveCluster)
        } catch {
            throw ClusterRegistrationFailure(error.description)
        }
        for (index, write) in plan.writes.enumerated() {
            do {
                try await request(write.permission(for: registration)) {
                    try await client.perform(write.request(for: registration))
                }
            } catch let failure as ClusterRegistrationFailure where index > 0 {
                throw ClusterRegistrationFailure(
                    failure.description + "\n(the \(index) write(s) before it were made; run the command again once this is fixed)")
            }
        }
        return plan
    }
}
