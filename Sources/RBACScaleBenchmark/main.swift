// RBAC controller scale benchmark (run by `benchmarks/rbac-scale.sh`, release mode).
//
//     vzauth-rbac-scale-bench --vzauth PATH [--projects 1000] [--namespaces 4] [--kubeconfig FILE]
//                             [--prefix bench] [--timeout 600] [-- EXTRA CONTROLLER ARGUMENTS]
//
// Creates the projects (each with its namespaces) through the API, starts `vzauth rbac-controller` as a child
// process, and measures, from the controller's start:
// - converged: every project reports `Succeeded` and every RoleBinding it needs exists;
// - idle: the time of the controller's last write or pass, once it has made none for 5 s;
// - the writes it made (from its own metrics, by kind and action) and its peak resident memory (VmHWM).
// Without `--kubeconfig` it starts the API server double (TLS, in this process); with one it uses that cluster,
// which must serve the Verrazzano CRDs (`kubectl apply -f deploy/crds`).
// It prints one line of `key=value` figures.
import AsyncHTTPClient
import Foundation
import KubeClient
import NIOCore
import VZAuthTestSupport

struct Options {
    var vzauth = ""
    var projects = 1000
    var namespaces = 4
    var kubeconfig: String?
    var prefix = "bench"
    var timeout = 600.0
    var controllerArguments: [String] = []

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                options.controllerArguments = Array(rest)
                break
            }
            guard let value = rest.popFirst() else { fail("\(argument) needs a value") }
            switch argument {
            case "--vzauth": options.vzauth = value
            case "--projects": options.projects = Int(value) ?? options.projects
            case "--namespaces": options.namespaces = Int(value) ?? options.namespaces
            case "--kubeconfig": options.kubeconfig = value
            case "--prefix": options.prefix = value
            case "--timeout": options.timeout = Double(value) ?? options.timeout
            default: fail("unknown argument \(argument)")
            }
        }
        if options.vzauth.isEmpty { fail("--vzauth PATH is required") }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("vzauth-rbac-scale-bench: \(message)\n".utf8))
    exit(2)
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let projectsResource = KubeResource(group: "clusters.verrazzano.io", version: "v1alpha1", resource: "verrazzanoprojects", namespaced: true)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-rbac-scale-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

// MARK: The API server

var double: KubeAPIEmulator?
let kubeconfig: String
if let given = options.kubeconfig {
    kubeconfig = given
} else {
    let authority = try TestCertificateAuthority()
    var configuration = KubeAPIEmulator.Configuration()
    configuration.tlsConfiguration = try authority.makeServerCertificate().serverTLSConfiguration()
    configuration.additionalResources = [.verrazzanoProject, .verrazzano]
    configuration.watchHistoryLimit = 200_000
    let server = try await KubeAPIEmulator.start(configuration: configuration)
    double = server
    kubeconfig = try server.writeKubeconfig(in: directory, certificateAuthorityFile: authority.certificateFile).path
}
let client = KubernetesClient(connection: try KubeConnection.fromKubeconfig(path: kubeconfig))

// MARK: Seeding

func ensureNamespace(_ name: String) async throws {
    do {
        _ = try await client.create(JSONValue.object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]),
                                    .namespaces)
    } catch let error as KubeAPIError where error.isAlreadyExists {}
}

func projectName(_ index: Int) -> String { "\(options.prefix)-\(String(format: "%04d", index))" }

try await ensureNamespace("verrazzano-mc")
try await ensureNamespace("verrazzano-system")
let seedStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    var next = 0
    func add() {
        let index = next
        next += 1
        group.addTask {
            let name = projectName(index)
            let namespaces: [JSONValue] = (0..<options.namespaces).map { .object(["metadata": ["name": .string("\(name)-ns\($0)")]]) }
            let project: JSONValue = [
                "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoProject",
                "metadata": ["name": .string(name), "namespace": "verrazzano-mc"],
                "spec": ["placement": ["clusters": [["name": "local"]]], "template": ["namespaces": .array(namespaces)]],
            ]
            do {
                _ = try await client.create(project, projectsResource, namespace: "verrazzano-mc")
            } catch let error as KubeAPIError where error.isAlreadyExists {}
        }
    }
    for _ in 0..<min(16, options.projects) { add() }
    while try await group.next() != nil { if next < options.projects { add() } }
}
FileHandle.standardError.write(Data("seeded \(options.projects) projects in \(ContinuousClock.now - seedStart)\n".utf8))

// MARK: The controller

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The controller's metrics: writes by "kind/action/result", the number of passes, and how many projects it last
/// reported `Succeeded`.
func metrics(port managementPort: Int) async -> (writes: [String: Double], passes: Double, succeeded: Double)? {
    let request = HTTPClientRequest(url: "http://127.0.0.1:\(managementPort)/metrics")
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
          let body = try? await response.body.collect(upTo: 1 << 20) else { return nil }
    let data = Data(body.readableBytesView)
    var writes: [String: Double] = [:]
    var passes = 0.0
    var succeeded = 0.0
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        let series = line[..<space]
        if series.hasPrefix("vzauth_rbac_controller_writes_total{") {
            func label(_ name: String) -> String {
                guard let range = series.range(of: "\(name)=\"") else { return "?" }
                return String(series[range.upperBound...].prefix { $0 != "\"" })
            }
            writes["\(label("kind"))/\(label("action"))/\(label("result"))", default: 0] += value
        } else if series.hasPrefix("vzauth_rbac_controller_reconciles_total{") {
            passes += value
        } else if series == #"vzauth_rbac_controller_projects{state="Succeeded"}"# {
            succeeded = value
        }
    }
    return (writes, passes, succeeded)
}

/// Whether every project is `Succeeded` (read through the API, as a user would see it).
func allSucceeded() async -> Bool {
    guard let list = try? await client.list(JSONValue.self, projectsResource, namespace: "verrazzano-mc") else { return false }
    let ours = list.items.filter { $0["metadata"]?["name"]?.stringValue?.hasPrefix("\(options.prefix)-") == true }
    return ours.count == options.projects && ours.allSatisfy { $0["status"]?["state"]?.stringValue == "Succeeded" }
}

func peakRSSMegabytes(_ pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kilobytes / 1024
}

/// The CPU time the process used so far (user and system), from /proc.
func cpuSeconds(_ pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let end = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    // After the command: state is field 3, utime 14 and stime 15 (counted from 1 over the whole line).
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// What one run of the controller did.
struct Run {
    var converged: Duration?
    var idle: Duration
    var writes: [String: Double]
    var passes: Double
    var peakRSS: Double
    var cpu: Double
    var log: String
}

/// Starts the controller, waits until every project is `Succeeded` and then until it made no write and no pass
/// for 5 s, and stops it.
func runController() async throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: options.vzauth)
    let managementPort = 18_900 + Int.random(in: 0..<90)
    process.arguments = ["rbac-controller", "--kubeconfig", kubeconfig, "--identity", "scale-bench",
                         "--management-listen", "127.0.0.1:\(managementPort)", "--log-level", "warning"] + options.controllerArguments
    let logFile = directory.appendingPathComponent("controller-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
    let log = try FileHandle(forWritingTo: logFile)
    process.standardOutput = log
    process.standardError = log
    let start = ContinuousClock.now
    try process.run()

    var converged: Duration?
    var lastActivity = ContinuousClock.now
    var lastSeen: (writes: [String: Double], passes: Double, succeeded: Double)?
    var peakRSS = 0.0
    while ContinuousClock.now - start < .seconds(options.timeout), process.isRunning {
        try await Task.sleep(for: .milliseconds(converged == nil ? 250 : 500))
        peakRSS = max(peakRSS, peakRSSMegabytes(process.processIdentifier) ?? 0)
        if let now = await metrics(port: managementPort) {
            if lastSeen == nil || now.writes != lastSeen!.writes || now.passes != lastSeen!.passes { lastActivity = .now }
            lastSeen = now
        }
        // The controller's own count first (cheap), then the projects as a user sees them (a list of every
        // project is work for the API server, so it is not polled while the controller converges).
        if converged == nil, Int(lastSeen?.succeeded ?? 0) >= options.projects, await allSucceeded() {
            converged = ContinuousClock.now - start
        }
        if converged != nil, ContinuousClock.now - lastActivity > .seconds(5) { break }
    }
    peakRSS = max(peakRSS, peakRSSMegabytes(process.processIdentifier) ?? 0)
    let cpu = cpuSeconds(process.processIdentifier) ?? 0
    process.terminate()
    process.waitUntilExit()
    let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    return Run(converged: converged, idle: lastActivity - start, writes: lastSeen?.writes ?? [:], passes: lastSeen?.passes ?? 0,
               peakRSS: peakRSS, cpu: cpu, log: String(text.suffix(2000)))
}

let first = try await runController()
// A restart finds everything in place: it lists, plans and writes nothing.
let restart = try await runController()

// The projects' RoleBindings that exist, counted once at the end (in pages, as a client should list).
var roleBindings = 0
var page = KubeListOptions(labelSelector: "app.kubernetes.io/managed-by=vzauth-rbac", limit: 2000)
repeat {
    guard let list = try? await client.list(JSONValue.self, .roleBindings, options: page) else { break }
    roleBindings += list.items.filter { $0["metadata"]?["namespace"]?.stringValue?.hasPrefix("\(options.prefix)-") == true }.count
    page.continueToken = list.metadata.`continue`
} while page.continueToken?.isEmpty == false
try? await client.shutdown()
try? await double?.shutdown()

func figures(_ run: Run, prefix: String) -> [String] {
    let totalWrites = run.writes.filter { $0.key.hasSuffix("/success") || $0.key.hasSuffix("/conflict") }.values.reduce(0, +)
    let failedWrites = run.writes.filter { $0.key.hasSuffix("/error") }.values.reduce(0, +)
    let events = run.writes.filter { $0.key.hasPrefix("Event/") }.values.reduce(0, +)
    var figures = [
        "\(prefix)converged_s=\(run.converged.map { String(format: "%.1f", seconds($0)) } ?? "timeout")",
        "\(prefix)idle_s=\(String(format: "%.1f", seconds(run.idle)))",
        "\(prefix)writes=\(Int(totalWrites))",
        "\(prefix)failed_writes=\(Int(failedWrites))",
        "\(prefix)events=\(Int(events))",
        "\(prefix)passes=\(Int(run.passes))",
        "\(prefix)peak_rss_mb=\(String(format: "%.0f", run.peakRSS))",
        "\(prefix)cpu_s=\(String(format: "%.1f", run.cpu))",
    ]
    if run.converged == nil { figures.append("\(prefix)log=\(run.log)") }
    return figures
}

print((["projects=\(options.projects)", "namespaces=\(options.projects * options.namespaces)", "rolebindings=\(roleBindings)"]
    + figures(first, prefix: "") + figures(restart, prefix: "restart_")).joined(separator: " "))
for (key, value) in first.writes.sorted(by: { $0.key < $1.key }) {
    FileHandle.standardError.write(Data("  \(key) \(Int(value))\n".utf8))
}
