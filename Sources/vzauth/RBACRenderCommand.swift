import ArgumentParser
import Foundation
import VerrazzanoRBAC
import FileSupport

/// `vzauth rbac`: the Verrazzano RBAC tools.
struct RBACCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbac",
        abstract: "Verrazzano roles and role bindings.",
        subcommands: [RBACRenderCommand.self]
    )
}

/// `vzauth rbac render -f FILE...`: prints every RBAC object the system would create, offline.
struct RBACRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the RBAC objects for Verrazzano and VerrazzanoProject resources, ready for kubectl apply -f -.",
        discussion: """
            Reads Verrazzano (install.verrazzano.io) and VerrazzanoProject (clusters.verrazzano.io, v1alpha1 or \
            v1beta1) documents and prints the component and user ClusterRoles, the install ClusterRoleBindings and, \
            per project, its namespaces and RoleBindings. Invalid input is reported on standard error with the \
            file, the object and the field; then nothing is printed and the exit code is 1.

            Example:
              vzauth rbac render -f verrazzano.yaml -f project.yaml | kubectl apply -f -
            """
    )

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A YAML file with one or more documents ('-' for standard input). Repeatable.")
    var files: [String] = []

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one -f FILE") }
    }

    func run() throws {
        var parsed = RBACYAML.Parsed()
        var problems: [String] = []
        for file in files {
            let text: String
            do {
                if file == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                }
            } catch {
                problems.append("\(file): cannot read: \(FileErrorReason.of(error))")
                continue
            }
            do {
                parsed.append(try RBACYAML.parse(text, source: file == "-" ? "<stdin>" : file))
            } catch {
                problems.append(error.description)
            }
        }
        for note in parsed.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        var output = ""
        if problems.isEmpty {
            do {
                output = try RBACYAML.render(try DesiredState(inputs: parsed.inputs))
            } catch let error as RBACInputError {
                problems.append(error.description)
            } catch {
                problems.append("cannot render: \(error)")
            }
        }
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data((problems.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(1)
        }
        print(output, terminator: output.hasSuffix("\n") ? "" : "\n")
    }
}
