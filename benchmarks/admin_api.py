#!/usr/bin/env python3
"""The admin cluster's API server, as much of it as `vzauth api-proxy --managed-clusters` asks of it in the two-hop
benchmark: the VerrazzanoManagedCluster and Secret lists of one namespace, watches on them that stay open without
events until their timeoutSeconds, and SubjectAccessReviews that allow everything.

Usage: admin_api.py PORT CLUSTER_NAME API_URL CA_FILE [REVIEWS_FILE]
(a line is appended to REVIEWS_FILE for every SubjectAccessReview)
"""
import base64
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

port, name, api_url, ca_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
reviews_file = sys.argv[5] if len(sys.argv) > 5 else None
namespace = "verrazzano-mc"
ca = base64.b64encode(open(ca_file, "rb").read()).decode()
vmc = {"apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoManagedCluster",
       "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
       "spec": {"caSecret": f"ca-secret-{name}"}, "status": {"apiUrl": api_url}}
secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
          "metadata": {"name": f"ca-secret-{name}", "namespace": namespace, "resourceVersion": "1"}, "data": {"cacrt": ca}}
lists = {
    f"/apis/clusters.verrazzano.io/v1alpha1/namespaces/{namespace}/verrazzanomanagedclusters": ("VerrazzanoManagedClusterList", vmc),
    f"/api/v1/namespaces/{namespace}/secrets": ("SecretList", secret),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path not in lists:
            return self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
        kind, item = lists[url.path]
        if query.get("watch") == ["true"] or query.get("watch") == ["1"]:
            # No events: the registrations do not change during the benchmark. End at the watch's timeout.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            time.sleep(float(query.get("timeoutSeconds", ["300"])[0]))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.answer(200, {"kind": kind, "apiVersion": item["apiVersion"], "metadata": {"resourceVersion": "1"}, "items": [item]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        review = json.loads(self.rfile.read(length) or b"{}")
        if urlsplit(self.path).path != "/apis/authorization.k8s.io/v1/subjectaccessreviews":
            return self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
        if reviews_file:
            with open(reviews_file, "a") as log:
                log.write(json.dumps(review.get("spec", {})) + "\n")
        review["status"] = {"allowed": True, "reason": "the benchmark allows everything"}
        self.answer(201, review)


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
