import Synchronization
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// `?watch=true`: a chunked stream of `{"type":...,"object":...}` lines, flushed one by one.
    ///
    /// Without `resourceVersion` (or with `0`) every matching object is first sent as `ADDED`; with one, the
    /// remembered events after it are replayed, or an `ERROR` event with a 410 `Expired` Status is sent when it is
    /// older than the remembered history. `timeoutSeconds` ends the stream.
    func watch(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        var routeFilter = try self.filter(request, route: route)
        if let name = route.name { routeFilter.name = name }
        let filter = routeFilter
        let requested = request.queryValue("resourceVersion").flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        if let requested, Int(requested) == nil {
            throw KubeEmulatorFailure(response: .badRequest("invalid resourceVersion \"\(requested)\""))
        }
        let fromVersion = requested.flatMap { Int($0) }
        let timeout = request.queryValue("timeoutSeconds").flatMap(Int64.init)
        return .stream(contentType: "application/json") { writer in
            let id = self.state.withLock { state -> Int? in
                if let fromVersion, fromVersion < state.compactedThrough {
                    let status = KubeEmulatorResponse.statusObject(
                        410, reason: "Expired",
                        message: "too old resource version: \(fromVersion) (\(state.compactedThrough))")
                    writer.write(KubeEmulatorState.eventLine(type: "ERROR", object: status))
                    return nil
                }
                if let fromVersion {
                    for event in state.events(after: fromVersion) where filter.matches(typeKey: event.typeKey, object: event.object) {
                        writer.write(KubeEmulatorState.eventLine(type: event.type, object: event.object))
                    }
                } else {
                    for (_, object) in state.objects(typeKey: filter.typeKey, namespace: filter.namespace)
                    where filter.matches(typeKey: filter.typeKey, object: object) {
                        writer.write(KubeEmulatorState.eventLine(type: "ADDED", object: object))
                    }
                }
                let id = state.nextStreamID
                state.nextStreamID += 1
                state.watchers[id] = KubeEmulatorWatcher(filter: filter, writer: writer)
                return id
            }
            guard let id else {
                writer.end()
                return
            }
            writer.onEnd { [weak self] in
                self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
            }
            if let timeout {
                writer.endAfter(.seconds(timeout))
            }
        }
    }

    /// `pods/NAME/log`: the pod's lines; with `follow=true` a stream that stays open for appended lines.
    func podLog(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        _ = try self.storedObject(KubeEmulatorResourceRoute(type: route.type, namespace: route.namespace, name: route.name))
        let key = "\(route.namespace ?? "")/\(route.name ?? "")"
        let tail = request.queryValue("tailLines").flatMap(Int.init)
        let selected: @Sendable ([String]) -> [String] = { lines in
            guard let tail else { return lines }
            return Array(lines.suffix(max(0, tail)))
        }
        guard request.queryFlag("follow") else {
            let lines = selected(self.state.withLock { $0.logs[key] ?? [] })
            return .text(lines.map { $0 + "\n" }.joined())
        }
        return .stream(contentType: "text/plain") { writer in
            let id = self.state.withLock { state in
                for line in selected(state.logs[key] ?? []) {
                    writer.write(ByteBuffer(string: line + "\n"))
                }
                let id = state.nextStreamID
                state.nextStreamID += 1
                state.logFollowers[id] = KubeEmulatorLogFollower(key: key, writer: writer)
                return id
            }
            writer.onEnd { [weak self] in
                self?.state.withLock { _ = $0.logFollowers.removeValue(forKey: id) }
            }
        }
    }
}
