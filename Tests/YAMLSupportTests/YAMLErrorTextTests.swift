import Testing
import Yams
import YAMLSupport

@Suite("YAMLErrorText: one line per YAML problem, with its place")
struct YAMLErrorTextTests {
    private struct Cluster: Decodable {
        var name: String
        var port: Int
    }

    private struct Document: Decodable {
        var clusters: [Cluster]
    }

    private func decodingError(_ yaml: String) -> String? {
        do {
            _ = try YAMLDecoder().decode(Document.self, from: yaml)
            return nil
        } catch {
            return YAMLErrorText.describe(error)
        }
    }

    @Test("syntax: the line and column, libyaml's problem, never its excerpt of the file")
    func syntax() {
        let text = decodingError("clusters: [1\n")
        #expect(text == "line 2, column 1: while parsing a flow sequence (line 1, column 11) did not find expected ',' or ']'")
        do {
            _ = try Yams.load(yaml: "a: 1\n  b: 2\n")
            Issue.record("not an error")
        } catch {
            let line = YAMLErrorText.describe(error)
            #expect(line.hasPrefix("line 2, column "), "\(line)")
            #expect(!line.contains("\n"))
        }
    }

    @Test("shape: the path to the field and what it should have been")
    func shape() {
        #expect(decodingError("clusters: {}") == "clusters: expected a list")
        #expect(decodingError("clusters: [{name: a}]") == "clusters[0].port: required")
        #expect(decodingError("clusters: [{name: a, port: many}]") == "clusters[0].port: expected an integer")
        #expect(decodingError("clusters: [{name: [x], port: 1}]") == "clusters[0].name: expected a scalar (a string, number or boolean)")
        #expect(decodingError("just text") == "expected a mapping (an object)")
    }

    @Test("duplicate keys name the keys")
    func duplicateKeys() {
        do {
            _ = try Yams.load(yaml: "a: 1\na: 2\n")
            Issue.record("not an error")
        } catch {
            #expect(YAMLErrorText.describe(error) == "line 1, column 1: duplicate keys a", "\(error)")
        }
    }
}
