/// A ``KubeInformer``'s delays and sizes.
public struct KubeInformerTiming: Sendable {
    /// After errors (and watches that end at once); reset after a successful list.
    public var backoff: Backoff
    /// How long one watch request lasts before it is resumed.
    public var watchTimeoutSeconds: Int64
    /// A watch that ends sooner than this without an event is resumed after a backoff.
    public var shortestWatch: Duration
    /// Objects per list page.
    public var pageSize: Int

    /// Creates a timing; by default 200 ms to 30 s of backoff, 300 s watches, 1 s shortest watch, 500 objects a page.
    public init(backoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(30)), watchTimeoutSeconds: Int64 = 300,
                shortestWatch: Duration = .seconds(1), pageSize: Int = 500) {
        self.backoff = backoff
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.shortestWatch = shortestWatch
        self.pageSize = pageSize
    }
}
