/// Options of list and watch calls.
public struct KubeListOptions: Sendable, Hashable {
    /// A label selector, e.g. `app=web,tier!=db`.
    public var labelSelector: String?
    /// A field selector, e.g. `metadata.name=x`.
    public var fieldSelector: String?
    /// For lists: the page size. For watches: ignored.
    public var limit: Int?
    /// For lists: the `continue` token of the previous page.
    public var continueToken: String?
    /// For lists: the version to read at (`0` = any cached). For watches: start after this version.
    public var resourceVersion: String?

    /// Creates options.
    public init(
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        limit: Int? = nil,
        continueToken: String? = nil,
        resourceVersion: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    package var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        return items
    }
}
