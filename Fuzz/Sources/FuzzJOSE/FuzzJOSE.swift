// libFuzzer target: OIDC's strict JSON parser, base64url, compact JWS parsing and verification, JWKS parsing.
//
// The whole input is read as a JSON document, as base64url, as a compact JWS and as a JWKS document. If it holds
// a NUL byte, the bytes before the first one are also read as a JWKS and the bytes after it as a token verified
// with that key set. Invariants checked (a violation traps, which libFuzzer reports as a crash):
// - every parse is deterministic (the same input twice gives the same result, compared byte for byte);
// - a JSON value, written out again by this target's own serializer (the module has none), parses to the same
//   value, byte for byte; its nesting stays within the limit;
// - base64url is canonical: an accepted string is the encoding of what it decodes to, and encoding then decoding
//   any bytes gives them back;
// - a parsed JWS has exactly two dots, its signing input ends at the second, its header is a JSON object without
//   `crit` whose `alg` is the parsed algorithm and whose `kid` is the parsed key id, its payload and signature are
//   the base64url-decoded segments;
// - a JWKS holds at most one key per kid, the first of the document; a key restricted to an `alg` can verify it;
// - a verified token's key can verify the token's algorithm and is the key its kid names (or the set's only key);
// - routing a token to its issuer (IssuerRouter, read before verification) gives the same answer for its bytes and
//   its text, and routes only a token whose unverified iss is exactly a configured issuer.
@_spi(Fuzzing) import OIDC

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("invariant violated: \(message())")
    }
}

// MARK: JSON

/// Writes `value` as JSON text (no whitespace). Numbers use Swift's shortest round-tripping form, which is valid
/// JSON for every finite double (`1e-05`, `1e+20`, `-0.0`, `5.0`).
func serialize(_ value: StrictJSONValue, into output: inout [UInt8]) {
    switch value {
    case .null: output += Array("null".utf8)
    case .bool(let flag): output += Array((flag ? "true" : "false").utf8)
    case .number(let number): output += Array(number.description.utf8)
    case .string(let text): serialize(text, into: &output)
    case .array(let elements):
        output.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            serialize(element, into: &output)
        }
        output.append(UInt8(ascii: "]"))
    case .object(let members):
        output.append(UInt8(ascii: "{"))
        for (index, (name, member)) in members.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            serialize(name, into: &output)
            output.append(UInt8(ascii: ":"))
            serialize(member, into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

func serialize(_ text: String, into output: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    output.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            output += [UInt8(ascii: "\\"), byte]
        case 0..<0x20:
            output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        default:
            output.append(byte)
        }
    }
    output.append(UInt8(ascii: "\""))
}

/// Equality byte for byte (`String` and `Dictionary` compare strings by canonical equivalence).
func same(_ a: StrictJSONValue?, _ b: StrictJSONValue?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (.null?, .null?): return true
    case (.bool(let x)?, .bool(let y)?): return x == y
    case (.number(let x)?, .number(let y)?): return x.bitPattern == y.bitPattern
    case (.string(let x)?, .string(let y)?): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x)?, .array(let y)?): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x)?, .object(let y)?):
        guard x.count == y.count else { return false }
        let left = x.map { (Array($0.key.utf8), $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        let right = y.map { (Array($0.key.utf8), $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        return zip(left, right).allSatisfy { $0.0 == $1.0 && same($0.1, $1.1) }
    default: return false
    }
}

func depth(_ value: StrictJSONValue) -> Int {
    switch value {
    case .array(let elements): return 1 + (elements.map(depth).max() ?? 0)
    case .object(let members): return 1 + (members.values.map(depth).max() ?? 0)
    default: return 0
    }
}

func checkJSON(_ data: [UInt8]) {
    let first = StrictJSONValue(parsing: data)
    let second = StrictJSONValue(parsing: data)
    check(same(first, second), "JSON parsing is not deterministic")
    guard let value = first else { return }
    check(depth(value) <= 33, "nesting deeper than the limit accepted")
    var text: [UInt8] = []
    serialize(value, into: &text)
    let reparsed = StrictJSONValue(parsing: text)
    check(same(value, reparsed), "JSON re-serialised does not parse to the same value: \(String(decoding: text, as: UTF8.self))")
}

// MARK: base64url

func checkBase64URL(_ data: [UInt8]) {
    if let decoded = Base64URL.decode(data) {
        check(Array(Base64URL.encode(decoded).utf8) == data, "base64url accepted a non-canonical encoding")
        check(data.count % 4 != 1, "base64url accepted an impossible length")
    }
    let encoded = Base64URL.encode(data)
    check(Base64URL.decode(encoded.utf8) == data, "base64url encode then decode is not the identity")
    check(encoded.utf8.allSatisfy(Base64URL.isAlphabetByte), "base64url encoding outside the alphabet")
}

// MARK: JWS

func same(_ a: CompactJWSFuzzing.Parsed, _ b: CompactJWSFuzzing.Parsed) -> Bool {
    a.algorithm == b.algorithm && a.keyID.map { Array($0.utf8) } == b.keyID.map { Array($0.utf8) } && same(a.type, b.type)
        && a.signingInputCount == b.signingInputCount && a.payload == b.payload && a.signature == b.signature
        && a.isLogoutTokenType == b.isLogoutTokenType
}

func parseJWS(_ token: UnsafeRawBufferPointer) -> Result<CompactJWSFuzzing.Parsed, OIDCError> {
    do throws(OIDCError) {
        return .success(try CompactJWSFuzzing.parse(token))
    } catch {
        return .failure(error)
    }
}

func checkJWS(_ token: UnsafeRawBufferPointer) {
    let first = parseJWS(token)
    let second = parseJWS(token)
    switch (first, second) {
    case (.success(let a), .success(let b)):
        check(same(a, b), "JWS parsing is not deterministic")
        let dots = token.indices.filter { token[$0] == UInt8(ascii: ".") }
        check(dots.count == 2 && dots[1] == a.signingInputCount, "JWS dots \(dots), signing input \(a.signingInputCount)")
        check(dots[0] > 0 && dots[1] > dots[0] + 1 && dots[1] < token.count - 1, "an empty JWS segment accepted")
        guard let header = Base64URL.decode(token[0..<dots[0]]).flatMap({ StrictJSONValue(parsing: $0)?.objectValue }) else {
            check(false, "JWS accepted with a header that is not a base64url JSON object")
            return
        }
        check(header["alg"]?.stringValue == a.algorithm.rawValue, "JWS alg")
        check(header["crit"] == nil, "JWS with crit accepted")
        check(same(header["kid"], a.keyID.map(StrictJSONValue.string)), "JWS kid")
        check(same(header["typ"], a.type), "JWS typ")
        check(Base64URL.decode(token[(dots[0] + 1)..<dots[1]]) == a.payload, "JWS payload")
        check(Base64URL.decode(token[(dots[1] + 1)...]) == a.signature, "JWS signature")
        check(token.count <= 64 * 1024, "oversized JWS accepted")
        // The claims are parsed only after verification; the bytes must not trap the parser either.
        checkJSON(a.payload)
    case (.failure(let a), .failure(let b)):
        check(a == b && a.message == b.message, "JWS errors differ: \(a) / \(b)")
    default:
        check(false, "JWS parsing is not deterministic")
    }
}

// MARK: JWKS

func summary(_ set: JSONWebKeySet) -> [String] {
    set.keys.map { "\($0.keyID.map { Array($0.utf8).description } ?? "-") \($0.algorithm?.rawValue ?? "-") \($0.keyType.rawValue)" }
}

func parseJWKS(_ bytes: some Collection<UInt8>) -> JSONWebKeySet? {
    do throws(OIDCError) {
        return try JSONWebKeySet(jsonBytes: bytes)
    } catch {
        check(error == .keysUnavailable, "JWKS error \(error)")
        return nil
    }
}

func checkJWKS(_ bytes: some Collection<UInt8>) -> JSONWebKeySet? {
    let first = parseJWKS(bytes)
    let second = parseJWKS(bytes)
    check(first.map(summary) == second.map(summary), "JWKS parsing is not deterministic")
    guard let set = first else { return nil }
    let entries = StrictJSONValue(parsing: bytes)?.objectValue?["keys"]?.arrayValue
    check(entries != nil, "JWKS accepted without a keys array")
    check(set.keys.count <= entries!.count, "more keys than entries")
    var seen: [[UInt8]] = []
    for key in set.keys {
        if let algorithm = key.algorithm { check(key.canVerify(algorithm), "a key that cannot verify its own alg") }
        check(JWSAlgorithm.allCases.contains(where: key.canVerify), "a key that verifies nothing")
        if let kid = key.keyID {
            check(!seen.contains(Array(kid.utf8)), "two keys with kid \(kid)")
            seen.append(Array(kid.utf8))
            check(set[keyID: kid].map { $0.keyType == key.keyType && $0.algorithm == key.algorithm } == true, "lookup by kid")
        }
    }
    return set
}

// MARK: Verification

func verify(_ token: UnsafeRawBufferPointer, _ keys: JSONWebKeySet?) -> Result<(CompactJWSFuzzing.Parsed, JSONWebKey)?, OIDCError> {
    do throws(OIDCError) {
        return .success(try CompactJWSFuzzing.verified(token, keys: keys))
    } catch {
        return .failure(error)
    }
}

func checkVerification(_ token: UnsafeRawBufferPointer, _ keys: JSONWebKeySet?) {
    let first = verify(token, keys)
    let second = verify(token, keys)
    switch (first, second) {
    case (.success(let a?), .success(let b?)):
        check(same(a.0, b.0) && a.1.keyID == b.1.keyID, "verification is not deterministic")
        let (jws, key) = a
        check(key.canVerify(jws.algorithm), "verified with a key that cannot verify \(jws.algorithm)")
        if let kid = jws.keyID {
            check(key.keyID.map { Array($0.utf8) } == Array(kid.utf8), "verified with another key than kid names")
        } else {
            check(keys?.keys.count == 1, "verified without kid by a set of \(keys?.keys.count ?? 0) keys")
        }
    case (.success(nil), .success(nil)):
        break
    case (.failure(let a), .failure(let b)):
        check(a == b, "verification errors differ: \(a) / \(b)")
    default:
        check(false, "verification is not deterministic")
    }
}

// MARK: Issuer routing

let router = IssuerRouter([(issuer: "https://a.example", target: 1), (issuer: "https://b.example/realm", target: 2)])

func checkIssuerRouting(_ token: UnsafeRawBufferPointer) {
    let byBytes = Result { () throws(OIDCError) in try router.route(bytes: token) }
    let text = String(decoding: token, as: UTF8.self)
    if text.utf8.elementsEqual(token) {
        let byText = Result { () throws(OIDCError) in try router.route(text) }
        check(byText == byBytes, "routing the bytes and the text disagree: \(byBytes) / \(byText)")
        if case .success(let target) = byText {
            let issuer = try? IssuerRouter<Int>.unverifiedIssuer(of: text)
            check(issuer.map { router.targets[$0] == target } ?? false, "routed to \(target) for iss \(String(describing: issuer))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    checkJSON(data)
    checkBase64URL(data)
    data.withUnsafeBytes { checkJWS($0) }
    data.withUnsafeBytes { checkIssuerRouting($0) }
    _ = checkJWKS(data)
    if let separator = data.firstIndex(of: 0) {
        let keys = checkJWKS(data[..<separator])
        data[(separator + 1)...].withUnsafeBytes { token in
            checkJWS(token)
            checkVerification(token, keys)
        }
    }
    return 0
}
