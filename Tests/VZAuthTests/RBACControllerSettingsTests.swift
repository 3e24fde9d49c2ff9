import ArgumentParser
import Foundation
import Logging
import ProxyCore
import Testing
@testable import vzauth

@Suite("rbac-controller settings")
struct RBACControllerSettingsTests {
    private func resolve(_ arguments: [String]) throws -> RBACControllerSettings {
        try RBACControllerSettings.resolve(try RBACControllerOptions.parse(arguments))
    }

    private func problems(_ arguments: [String]) -> [String] {
        settingsProblems { try resolve(arguments) }
    }

    @Test("a missing kubeconfig names the flag and the path; log-format is a setting")
    func missingKubeconfig() throws {
        #expect(problems(["--kubeconfig", "/nonexistent/kc"]) == ["--kubeconfig /nonexistent/kc: no such file"])
        #expect(try resolve(["--log-format", "json"]).logFormat == .json)
        #expect(problems(["--log-format", "xml"]) == ["--log-format must be json or text, got \"xml\""])
    }

    @Test("without flags: the defaults")
    func defaults() throws {
        let settings = try resolve([])
        #expect(settings.kubeconfig == nil && settings.kubeContext == nil && settings.identity == nil)
        #expect(settings.leaderElectionNamespace == "verrazzano-system")
        #expect(settings.leaderElectionID == "vzauth-rbac-controller")
        #expect(settings.projectsNamespace == "verrazzano-mc")
        #expect(settings.resyncPeriod == 600)
        #expect(settings.maxConcurrentWrites == 16)
        #expect(settings.management.host == "0.0.0.0" && settings.management.port == 8776)
        #expect(settings.logLevel == .info)
    }

    @Test("the config file supplies settings; flags win")
    func configFile() throws {
        // The kubeconfig must exist (its path is checked with the settings); any file will do.
        let kubeconfig = try writeConfigFile("kind: Config\n")
        let path = try writeConfigFile("""
            kubeconfig: \(kubeconfig)
            kube-context: admin
            leader-election-namespace: lease-ns
            leader-election-id: lease-name
            identity: replica-1
            projects-namespace: projects
            resync-period: 120
            max-concurrent-writes: 4
            management-listen: 127.0.0.1:9100
            log-level: debug
            """)
        let fromFile = try resolve(["--config", path])
        #expect(fromFile.kubeconfig == kubeconfig && fromFile.kubeContext == "admin")
        #expect(fromFile.leaderElectionNamespace == "lease-ns" && fromFile.leaderElectionID == "lease-name")
        #expect(fromFile.identity == "replica-1")
        #expect(fromFile.projectsNamespace == "projects")
        #expect(fromFile.resyncPeriod == 120)
        #expect(fromFile.maxConcurrentWrites == 4)
        #expect(fromFile.management.host == "127.0.0.1" && fromFile.management.port == 9100)
        #expect(fromFile.logLevel == .debug)

        let overridden = try resolve(["--config", path, "--projects-namespace", "other", "--max-concurrent-writes", "1",
                                      "--resync-period", "30", "--management-listen", "127.0.0.1:9200"])
        #expect(overridden.projectsNamespace == "other")
        #expect(overridden.maxConcurrentWrites == 1)
        #expect(overridden.resyncPeriod == 30)
        #expect(overridden.management.port == 9200)
        #expect(overridden.leaderElectionNamespace == "lease-ns", "what no flag gives still comes from the file")
    }

    @Test("unknown keys and wrong types in the config file are reported with the file name")
    func configProblems() throws {
        let path = try writeConfigFile("projects-namespace: p\nprojects-namepsace: typo\nresync-period: soon\n")
        let found = problems(["--config", path])
        #expect(found.contains { $0.contains(path) && $0.contains("unknown setting projects-namepsace") })
        #expect(found.contains { $0.contains(path) && $0.contains("resync-period must be a whole number") })
        let proxyKey = try writeConfigFile("oidc-issuer: https://kc.example.com\n")
        #expect(problems(["--config", proxyKey]).contains { $0.contains("unknown setting oidc-issuer") })
        let notMapping = try writeConfigFile("- a\n- b\n")
        #expect(problems(["--config", notMapping]).contains { $0.contains("YAML mapping") })
        #expect(problems(["--config", "/nonexistent/vzauth.yaml"]).contains("--config /nonexistent/vzauth.yaml: no such file"))
    }

    @Test("values out of range are refused, from flags or the file, all at once")
    func ranges() throws {
        let found = problems(["--max-concurrent-writes", "0", "--resync-period", "5", "--management-listen", "8776",
                              "--log-level", "loud", "--projects-namespace", ""])
        #expect(found.contains("--max-concurrent-writes must be between 1 and 256, got 0"))
        #expect(found.contains("--resync-period must be at least 10 seconds"))
        #expect(found.contains("--management-listen must be HOST:PORT, got \"8776\""))
        #expect(found.contains { $0.hasPrefix("--log-level must be one of") })
        #expect(found.contains { $0.contains("must not be empty") })
        let path = try writeConfigFile("max-concurrent-writes: 300\n")
        #expect(problems(["--config", path]).contains("--max-concurrent-writes must be between 1 and 256, got 300"))
    }

    @Test("help lists every flag, --config too")
    func help() {
        let help = VZAuth.helpMessage(for: RBACControllerCommand.self)
        for flag in ["--config", "--kubeconfig", "--kube-context", "--leader-election-namespace", "--leader-election-id",
                     "--identity", "--projects-namespace", "--resync-period", "--max-concurrent-writes",
                     "--management-listen", "--log-level"] {
            #expect(help.contains(flag), "help must mention \(flag)")
        }
    }
}
