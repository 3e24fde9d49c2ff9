/// A set of public signing keys (a JWKS document), indexed by key id.
///
/// Keys that cannot be used for signature verification are skipped rather than failing the whole set:
/// `use` other than `sig`, unsupported `kty` or curve, `alg` outside the allow list, invalid key material.
/// When two usable keys share a `kid`, the first one wins. Key ids are compared byte for byte (RFC 7515 §4.1.4: a
/// case-sensitive string), never by Unicode canonical equivalence, which Swift's `String` equality uses.
public struct JSONWebKeySet: Sendable {
    /// The usable keys, in document order.
    public let keys: [JSONWebKey]
    private let keysByID: [[UInt8]: JSONWebKey]

    /// Builds a set from already parsed keys.
    public init(keys: [JSONWebKey]) {
        var unique: [JSONWebKey] = []
        var byID: [[UInt8]: JSONWebKey] = [:]
        for key in keys {
            if let kid = key.keyID.map({ Array($0.utf8) }) {
                guard byID[kid] == nil else { continue }
                byID[kid] = key
            }
            unique.append(key)
        }
        self.keys = unique
        self.keysByID = byID
    }

    /// Parses a JWKS document (`{"keys": [...]}`).
    ///
    /// - Throws: ``OIDCError/keysUnavailable`` if the document is not a JSON object with a `keys` array.
    ///   An array in which no key is usable yields an empty set, not an error.
    public init<Bytes: Collection<UInt8>>(jsonBytes: Bytes) throws(OIDCError) {
        guard
            let document = StrictJSONValue(parsing: jsonBytes)?.objectValue,
            let entries = document["keys"]?.arrayValue
        else {
            throw OIDCError.keysUnavailable.with(message: "key set is not a JSON object with a keys array")
        }
        self.init(keys: entries.compactMap { entry in entry.objectValue.flatMap(JSONWebKey.init(json:)) })
    }

    /// The key with id `keyID`, if present.
    public subscript(keyID keyID: String) -> JSONWebKey? {
        self.keysByID[Array(keyID.utf8)]
    }

    /// The key for a token header: by `kid` when the header has one; without a `kid` only if the set holds
    /// exactly one key (otherwise the choice would be a guess, and guessing is how confusion attacks start).
    func key(forTokenKeyID keyID: String?) -> KeyLookup {
        if let keyID {
            return self.keysByID[Array(keyID.utf8)].map(KeyLookup.found) ?? .unknown
        }
        return self.keys.count == 1 ? .found(self.keys[0]) : .ambiguous
    }

    /// The outcome of ``key(forTokenKeyID:)``.
    enum KeyLookup {
        case found(JSONWebKey)
        /// The `kid` is not in the set (a refetch may help).
        case unknown
        /// The token has no `kid` and the set does not hold exactly one key.
        case ambiguous
    }
}
