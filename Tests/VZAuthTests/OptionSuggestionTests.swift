import ArgumentParser
import Testing
@testable import vzauth

/// "did you mean --listen?" for a mistyped option.
@Suite("option suggestions")
struct OptionSuggestionTests {
    @Test("the nearest option by edit distance, when near enough", arguments: [
        ("--lisen", "--listen"), ("--listne", "--listen"), ("--kubeconfg", "--kubeconfig"),
        ("--log-levle", "--log-level"), ("--oidc-issuer-url", "--oidc-issuer"), ("--managment-listen", "--management-listen"),
        ("--lisen=127.0.0.1:1", "--listen"),
    ])
    func nearest(_ typed: String, _ expected: String) {
        let options = OptionSuggestion.options(inHelp: VZAuth.helpMessage(for: APIProxyCommand.self))
        #expect(OptionSuggestion(options: options).nearest(to: typed) == expected, "\(options)")
    }

    @Test("nothing for an option unlike any")
    func none() {
        let options = OptionSuggestion.options(inHelp: VZAuth.helpMessage(for: APIProxyCommand.self))
        #expect(OptionSuggestion(options: options).nearest(to: "--frobnicate-everything") == nil)
        #expect(OptionSuggestion(options: options).nearest(to: "--listen") == nil, "an exact match is no typo")
    }

    @Test("edit distance")
    func distance() {
        #expect(OptionSuggestion.editDistance(Array("kitten".utf8), Array("sitting".utf8)) == 3)
        #expect(OptionSuggestion.editDistance([], Array("abc".utf8)) == 3)
    }

    @Test("the message of an unknown option suggests the nearest and points at the subcommand's --help")
    func message() {
        do {
            _ = try VZAuth.parseAsRoot(["api-proxy", "--lisen", "x"])
            Issue.record("parsed")
        } catch {
            let message = VZAuth.errorMessage(for: error, subcommand: APIProxyCommand.self)
            #expect(message.lowercased().contains("did you mean '--listen'?"), "\(message)")
            #expect(message.contains("vzauth api-proxy --help"), "\(message)")
        }
    }
}
