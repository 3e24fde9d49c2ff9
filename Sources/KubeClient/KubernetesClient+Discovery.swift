import NIOHTTP1

extension KubernetesClient {
    /// One entry of a discovery document's `resources`.
    private struct APIResource: Decodable {
        var name: String
    }

    /// A discovery document (`APIResourceList`), reduced to its resources' names.
    private struct APIResourceList: Decodable {
        var resources: [APIResource]?
    }

    /// The names of the resources (and subresources, as `RESOURCE/SUBRESOURCE`) the server serves in one API
    /// group version: `GET /apis/GROUP/VERSION` (`/api/VERSION` for the core group).
    ///
    /// - Throws: ``KubeAPIError``; 404 when the server does not serve that group version (e.g. no CRD of it is
    ///   installed).
    public func resourceNames(group: String, version: String) async throws -> Set<String> {
        let path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        let list = try await self.decode(APIResourceList.self, from: self.send(method: .GET, path: path))
        return Set((list.resources ?? []).map(\.name))
    }
}
