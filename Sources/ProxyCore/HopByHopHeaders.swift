public import ServiceSupport

/// The rules of RFC 9110 §7.6.1 for header fields that belong to one connection and must not be forwarded.
///
/// A proxy removes the fixed hop-by-hop fields and every field named in a `Connection` field. The framing fields
/// go too (`Content-Length`; `Transfer-Encoding` is a fixed one): the forwarder frames the body itself. An upgrade
/// request keeps its `Upgrade` fields, which the next hop needs to switch protocols (the forwarder writes
/// `Connection: Upgrade` itself).
public enum HopByHopHeaders {
    /// Removes hop-by-hop and framing fields from `head`, in place and without copying a name.
    ///
    /// - Parameters:
    ///   - head: the head to clean.
    ///   - keepUpgrade: keep the `Upgrade` fields (for a protocol switch).
    public static func strip(_ head: inout RequestHead, keepUpgrade: Bool) {
        // The `Connection` fields that list a name other than a fixed one or `close`: rare, so the common case
        // compares nothing more (and allocates nothing).
        var listingFields: [Int] = []
        head.forEachField { field in
            guard field.name.count == 10, field.nameEquals("connection") else { return }
            var listsOtherNames = false
            HTTPSyntax.forEachElement(of: field.value) { option in
                if !option.isEmpty, !isFixed(option, keepUpgrade: false), !HTTPSyntax.equalsIgnoringCase(option, "close") {
                    listsOtherNames = true
                }
            }
            if listsOtherNames { listingFields.append(field.index) }
        }
        // Names are looked up in the head as received (a copy, made only in this rare case).
        let received = listingFields.isEmpty ? nil : head
        head.removeFields { field in
            // A protocol switch keeps its Upgrade fields, even when Connection lists them (it must).
            if keepUpgrade, field.name.count == 7, field.nameEquals("upgrade") { return false }
            if isFixed(field.name, keepUpgrade: keepUpgrade) { return true }
            if field.name.count == 14, field.nameEquals("content-length") { return true }
            guard let received else { return false }
            return isListed(field.name, in: received, connectionFields: listingFields)
        }
    }

    /// Whether `name` is an option of one of the `Connection` fields at `connectionFields`.
    private static func isListed(_ name: UnsafeRawBufferPointer, in head: RequestHead, connectionFields: [Int]) -> Bool {
        var listed = false
        for index in connectionFields where !listed {
            head.withValue(ofFieldAt: index) { value in
                guard let value else { return }
                HTTPSyntax.forEachElement(of: value) { option in
                    if HTTPSyntax.equalsIgnoringCase(option, name) { listed = true }
                }
            }
        }
        return listed
    }

    /// Whether `name` is one of the fields that are always connection-specific (`Upgrade` only when not kept).
    static func isFixed(_ name: UnsafeRawBufferPointer, keepUpgrade: Bool) -> Bool {
        switch name.count {
        case 2: return HTTPSyntax.equalsIgnoringCase(name, "te")
        case 7:
            if HTTPSyntax.equalsIgnoringCase(name, "trailer") { return true }
            return !keepUpgrade && HTTPSyntax.equalsIgnoringCase(name, "upgrade")
        case 10: return HTTPSyntax.equalsIgnoringCase(name, "connection") || HTTPSyntax.equalsIgnoringCase(name, "keep-alive")
        case 16: return HTTPSyntax.equalsIgnoringCase(name, "proxy-connection")
        case 17: return HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding")
        case 18: return HTTPSyntax.equalsIgnoringCase(name, "proxy-authenticate")
        case 19: return HTTPSyntax.equalsIgnoringCase(name, "proxy-authorization")
        default: return false
        }
    }
}
