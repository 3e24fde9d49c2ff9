import Foundation
import NIOSSL
import Yams
import FileSupport
import YAMLSupport

extension KubeConnection {
    /// Reads a kubeconfig file and builds the connection for one of its contexts.
    ///
    /// Supports clusters with `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify` and
    /// `tls-server-name`, and users with `token`, `tokenFile` (re-read as it rotates), `client-certificate(-data)`
    /// with `client-key(-data)`, or `username`/`password`. Relative file paths are resolved against the
    /// kubeconfig's directory.
    ///
    /// - Parameters:
    ///   - path: The kubeconfig file.
    ///   - context: The context to use; `nil` means the file's `current-context`.
    /// - Throws: ``KubeConfigError`` naming the file and field; users with `exec` or `auth-provider` are refused
    ///   with ``KubeConfigError/unsupportedCredential``.
    public static func fromKubeconfig(path: String, context: String? = nil) throws -> KubeConnection {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeConfigError.unreadableFile(path, reason: FileErrorReason.of(error))
        }
        let file: KubeconfigFile
        do {
            file = try YAMLDecoder().decode(KubeconfigFile.self, from: text)
        } catch {
            throw KubeConfigError.invalidDocument(path, reason: YAMLErrorText.describe(error))
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try KubeconfigResolver(path: path, directory: directory, file: file).connection(context: context)
    }
}

/// Turns a decoded kubeconfig into a ``KubeConnection`` for one context.
private struct KubeconfigResolver {
    let path: String
    let directory: URL
    let file: KubeconfigFile

    func connection(context requested: String?) throws -> KubeConnection {
        let contextName = requested ?? self.file.currentContext.flatMap { $0.isEmpty ? nil : $0 }
        guard let contextName else {
            throw KubeConfigError.contextNotFound(self.path, name: nil)
        }
        guard let namedContext = self.file.contexts?.first(where: { $0.name == contextName }) else {
            throw KubeConfigError.contextNotFound(self.path, name: contextName)
        }
        let contextField = "contexts[\(contextName)].context"
        guard let context = namedContext.context else {
            throw KubeConfigError.missingField(self.path, field: contextField)
        }
        guard let clusterName = context.cluster, !clusterName.isEmpty else {
            throw KubeConfigError.missingField(self.path, field: "\(contextField).cluster")
        }
        guard let cluster = self.file.clusters?.first(where: { $0.name == clusterName })?.cluster else {
            throw KubeConfigError.clusterNotFound(self.path, field: "\(contextField).cluster", name: clusterName)
        }
        var user = KubeconfigFile.User()
        var userName = ""
        if let name = context.user, !name.isEmpty {
            guard let named = self.file.users?.first(where: { $0.name == name }) else {
                throw KubeConfigError.userNotFound(self.path, field: "\(contextField).user", name: name)
            }
            user = named.user ?? KubeconfigFile.User()
            userName = name
        }
        let clusterField = "clusters[\(clusterName)].cluster"
        let userField = "users[\(userName)].user"
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeConfigError.missingField(self.path, field: "\(clusterField).server")
        }
        try self.refuseUnsupported(user, field: userField)

        var connection: KubeConnection
        do {
            connection = try KubeConnection(serverURL: server)
        } catch {
            throw KubeConfigError.invalidValue(self.path, field: "\(clusterField).server", reason: "\"\(server)\" is not an http(s) URL")
        }
        connection.namespace = context.namespace.flatMap { $0.isEmpty ? nil : $0 }
        connection.tlsServerName = cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        connection.credential = try self.credential(user, field: userField)
        if connection.usesTLS {
            connection.tlsConfiguration = try self.tlsConfiguration(
                cluster: cluster,
                clusterField: clusterField,
                user: user,
                userField: userField
            )
        }
        return connection
    }

    private func refuseUnsupported(_ user: KubeconfigFile.User, field: String) throws {
        if user.authProvider != nil {
            throw KubeConfigError.unsupportedCredential(
                self.path,
                field: "\(field).auth-provider",
                reason: "auth-provider credentials are not supported; use token, tokenFile or a client certificate"
            )
        }
        if user.impersonate != nil {
            throw KubeConfigError.unsupportedCredential(
                self.path,
                field: "\(field).as",
                reason: "impersonation in the kubeconfig is not supported"
            )
        }
    }

    private func credential(_ user: KubeconfigFile.User, field: String) throws -> KubeCredential {
        if let exec = user.exec {
            return .exec(try self.execCredential(exec, field: "\(field).exec"))
        }
        if let token = user.token, !token.isEmpty {
            return .bearerToken(token)
        }
        if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            return .tokenFile(try KubeTokenFile(path: self.resolve(tokenFile)))
        }
        if let username = user.username, !username.isEmpty {
            return .basic(username: username, password: user.password ?? "")
        }
        return .none
    }

    /// The plugin of `exec`, run once now (at start-up, so that a missing or failing plugin is reported at once).
    private func execCredential(_ exec: KubeconfigFile.Exec, field: String) throws -> KubeExecCredential {
        guard let command = exec.command, !command.isEmpty else {
            throw KubeConfigError.missingField(self.path, field: "\(field).command")
        }
        let apiVersion = exec.apiVersion ?? KubeExecCredential.Configuration.v1
        guard KubeExecCredential.Configuration.supportedVersions.contains(apiVersion) else {
            throw KubeConfigError.invalidValue(self.path, field: "\(field).apiVersion",
                                               reason: "\(apiVersion) is not supported; use \(KubeExecCredential.Configuration.v1)")
        }
        // As kubectl: a command with a slash in it is relative to the kubeconfig's folder; a bare name is looked up
        // in PATH.
        let resolved = command.contains("/") ? self.resolve(command) : command
        var environment: [String: String] = [:]
        for variable in exec.env ?? [] { environment[variable.name] = variable.value }
        let configuration = KubeExecCredential.Configuration(command: resolved, arguments: exec.args ?? [],
                                                             environment: environment, apiVersion: apiVersion)
        do {
            return try KubeExecCredential(configuration: configuration)
        } catch {
            var reason = "\(error)"
            if let hint = exec.installHint, !hint.isEmpty { reason += " (\(hint.trimmingCharacters(in: .whitespacesAndNewlines)))" }
            throw KubeConfigError.invalidValue(self.path, field: field, reason: reason)
        }
    }

    private func tlsConfiguration(
        cluster: KubeconfigFile.Cluster,
        clusterField: String,
        user: KubeconfigFile.User,
        userField: String
    ) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        let authority = try self.pemBytes(
            data: cluster.certificateAuthorityData,
            file: cluster.certificateAuthority,
            field: "\(clusterField).certificate-authority"
        )
        if cluster.insecureSkipTLSVerify == true {
            if authority != nil {
                throw KubeConfigError.invalidValue(
                    self.path,
                    field: "\(clusterField).insecure-skip-tls-verify",
                    reason: "a certificate authority together with insecure-skip-tls-verify is not allowed"
                )
            }
            configuration.certificateVerification = .none
        }
        if let (bytes, field) = authority {
            do {
                let certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
                guard !certificates.isEmpty else { throw KubeConfigError.invalidValue }
                configuration.trustRoots = .certificates(certificates)
            } catch {
                throw KubeConfigError.invalidValue(self.path, field: field, reason: "not a PEM certificate bundle")
            }
        }
        let certificate = try self.pemBytes(
            data: user.clientCertificateData,
            file: user.clientCertificate,
            field: "\(userField).client-certificate"
        )
        let key = try self.pemBytes(data: user.clientKeyData, file: user.clientKey, field: "\(userField).client-key")
        switch (certificate, key) {
        case (nil, nil):
            break
        case (let (certificateBytes, certificateField)?, let (keyBytes, keyField)?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificateBytes).map { .certificate($0) }
            } catch {
                throw KubeConfigError.invalidValue(self.path, field: certificateField, reason: "not a PEM certificate")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: keyBytes, format: .pem))
            } catch {
                throw KubeConfigError.invalidValue(self.path, field: keyField, reason: "not a PEM private key")
            }
        case (nil, _):
            throw KubeConfigError.missingField(self.path, field: "\(userField).client-certificate")
        case (_, nil):
            throw KubeConfigError.missingField(self.path, field: "\(userField).client-key")
        }
        return configuration
    }

    /// The PEM bytes from `<field>-data` (base64) or `<field>` (a file path), and the field they came from.
    private func pemBytes(data: String?, file: String?, field: String) throws -> ([UInt8], String)? {
        if let data, !data.isEmpty {
            let dataField = "\(field)-data"
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw KubeConfigError.invalidValue(self.path, field: dataField, reason: "not valid base64")
            }
            return (Array(decoded), dataField)
        }
        if let file, !file.isEmpty {
            let resolved = self.resolve(file)
            do {
                return (Array(try Data(contentsOf: URL(fileURLWithPath: resolved))), field)
            } catch {
                throw KubeConfigError.unreadableFile(resolved, field: field, reason: "\(FileErrorReason.of(error)) (\(field) in \(self.path))")
            }
        }
        return nil
    }

    /// A path from the kubeconfig, relative paths taken from the kubeconfig's directory.
    private func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return self.directory.appendingPathComponent(path).standardizedFileURL.path
    }
}
