import Foundation
import Testing

/// `scripts/oci-image.sh` on a small root filesystem tarball: the OCI image layout it writes is complete and
/// consistent (every blob under its own digest, the config's diff_id the uncompressed layer's digest), names the image
/// as containerd and Docker look it up, and is the same bytes when made twice.
@Suite("scripts/oci-image.sh: an OCI image archive without a container engine")
struct OCIImageArchiveTests {
    static var script: String {
        DeployManifestTests.deployDirectory.deletingLastPathComponent().appendingPathComponent("scripts/oci-image.sh").path
    }

    private func folder() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-oci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("rootfs/etc"), withIntermediateDirectories: true)
        return directory
    }

    private func sha256(_ file: URL) async throws -> String {
        let result = try await run("/usr/bin/sha256sum", [file.path])
        return String(result.stdout.prefix(64))
    }

    private func json(_ file: URL) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any], "\(file.lastPathComponent)")
    }

    @Test("complete, consistent, named for containerd and Docker, and reproducible")
    func archive() async throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rootfs = directory.appendingPathComponent("rootfs")
        try "#!/bin/false\n".write(to: rootfs.appendingPathComponent("vzauth"), atomically: true, encoding: .utf8)
        try "nonroot:x:65532:65532::/:/sbin/nologin\n".write(to: rootfs.appendingPathComponent("etc/passwd"), atomically: true, encoding: .utf8)
        let tarball = directory.appendingPathComponent("rootfs.tar.gz")
        let packed = try await run("/usr/bin/tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                                                   "-C", rootfs.path, "-czf", tarball.path, "."])
        #expect(packed.status == 0, "\(packed.stderr)")

        let first = directory.appendingPathComponent("first.tar"), second = directory.appendingPathComponent("second.tar")
        for output in [first, second] {
            let made = try await run("/bin/bash", [Self.script, "--tag", "vzauth:test", tarball.path, output.path])
            #expect(made.status == 0, "\(made.stderr)")
        }
        #expect(try Data(contentsOf: first) == Data(contentsOf: second), "the same rootfs gives the same bytes")

        let layout = directory.appendingPathComponent("layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        #expect(try await run("/usr/bin/tar", ["-xf", first.path, "-C", layout.path]).status == 0)
        #expect(try json(layout.appendingPathComponent("oci-layout"))["imageLayoutVersion"] as? String == "1.0.0")

        // Every blob is stored under its own digest.
        let blobs = layout.appendingPathComponent("blobs/sha256")
        for name in try FileManager.default.contentsOfDirectory(atPath: blobs.path) {
            #expect(try await sha256(blobs.appendingPathComponent(name)) == name, "blob \(name)")
        }

        let index = try json(layout.appendingPathComponent("index.json"))
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first)
        let annotations = entry["annotations"] as? [String: String] ?? [:]
        #expect(annotations["io.containerd.image.name"] == "docker.io/library/vzauth:test", "the name the kubelet asks for")
        #expect(annotations["org.opencontainers.image.ref.name"] == "vzauth:test")
        let manifestDigest = try #require((entry["digest"] as? String)?.replacingOccurrences(of: "sha256:", with: ""))
        let manifest = try json(blobs.appendingPathComponent(manifestDigest))
        let configDigest = try #require(((manifest["config"] as? [String: Any])?["digest"] as? String)?.dropFirst(7))
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(layers.count == 1)
        let layerDigest = try #require((layers.first?["digest"] as? String)?.dropFirst(7))
        #expect(layers.first?["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip")

        let config = try json(blobs.appendingPathComponent(String(configDigest)))
        let runtime = config["config"] as? [String: Any] ?? [:]
        #expect(runtime["User"] as? String == "65532:65532")
        #expect(runtime["Entrypoint"] as? [String] == ["/vzauth"])
        #expect(config["os"] as? String == "linux")
        // diff_id: the digest of the layer uncompressed, which is the rootfs tarball's own tar.
        let uncompressed = directory.appendingPathComponent("layer.tar")
        let unpacked = try await run("/bin/sh", ["-c", "gzip -dc '\(blobs.appendingPathComponent(String(layerDigest)).path)' > '\(uncompressed.path)'"])
        #expect(unpacked.status == 0)
        let diffIDs = (config["rootfs"] as? [String: Any])?["diff_ids"] as? [String]
        #expect(diffIDs == ["sha256:" + (try await sha256(uncompressed))])
        let listing = try await run("/usr/bin/tar", ["-tf", uncompressed.path])
        #expect(listing.stdout.split(separator: "\n").contains("./vzauth"), "\(listing.stdout)")

        // Docker's manifest.json points at the same config and layer.
        let docker = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: layout.appendingPathComponent("manifest.json"))) as? [[String: Any]])
        #expect(docker.first?["Config"] as? String == "blobs/sha256/\(configDigest)")
        #expect(docker.first?["Layers"] as? [String] == ["blobs/sha256/\(layerDigest)"])
        #expect(docker.first?["RepoTags"] as? [String] == ["vzauth:test"])

        // A real consumer reads it (skopeo checks every digest it copies): .ci/run installs it.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo") {
            let inspected = try await run("/usr/bin/skopeo", ["inspect", "--config", "oci-archive:\(first.path)"])
            #expect(inspected.status == 0, "\(inspected.stderr)")
            #expect(inspected.stdout.contains("65532:65532"), "\(inspected.stdout)")
            let copied = directory.appendingPathComponent("copied")
            let copy = try await run("/usr/bin/skopeo", ["copy", "oci-archive:\(first.path)", "dir:\(copied.path)"])
            #expect(copy.status == 0, "\(copy.stderr)")
        } else {
            Issue.record("skopeo is not installed (apt-get install skopeo; .ci/run does): the archive was not read by a real consumer")
        }
    }

    @Test("a tarball without /vzauth, or a tag that is not an image reference, is refused with the reason")
    func refusals() async throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tarball = directory.appendingPathComponent("empty.tar.gz")
        #expect(try await run("/usr/bin/tar", ["-C", directory.appendingPathComponent("rootfs").path, "-czf", tarball.path, "."]).status == 0)
        let missing = try await run("/bin/bash", [Self.script, tarball.path, directory.appendingPathComponent("out.tar").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("has no /vzauth"), "\(missing.stderr)")
        let badTag = try await run("/bin/bash", [Self.script, "--tag", "Not A Tag", tarball.path])
        #expect(badTag.status != 0)
        #expect(badTag.stderr.contains("is not an image reference"), "\(badTag.stderr)")
    }
}
