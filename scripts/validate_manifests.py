#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests strictly and offline (called by validate-manifests.sh).

Usage: validate_manifests.py CRD_DIR KUBERNETES_VERSION RENDERED.yaml...

- Built-in kinds: against Kubernetes' own OpenAPI schemas for KUBERNETES_VERSION (kubernetes-validate, strict:
  an unknown field is an error, as `kubectl apply --validate=strict` would say).
- Kinds defined by a CRD in CRD_DIR: against that CRD's openAPIV3Schema for the object's version, with unknown
  fields refused wherever the schema does not say x-kubernetes-preserve-unknown-fields (as the API server's strict
  field validation does).
- ServiceMonitor (monitoring.coreos.com): skipped with a note; its CRD is the Prometheus Operator's, not ours.
- Any other kind: an error (a kind nothing can check is a typo or a missing CRD).
Exit status 1 on any error, with one line per problem naming the file, the object and the field.
"""
import glob
import os
import sys

import jsonschema
import kubernetes_validate
import yaml

SKIPPED = {("monitoring.coreos.com", "ServiceMonitor"): "its CRD (Prometheus Operator) is not in deploy/crds"}


def strict_schema(schema):
    """The CRD schema as JSON Schema, refusing unknown properties like the API server's strict validation."""
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict_schema(value) for key, value in schema.items() if not key.startswith("x-kubernetes-")}
    if schema.get("x-kubernetes-int-or-string"):
        result.pop("type", None)
        result["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema and not preserve:
        result["additionalProperties"] = False
    return result


def load_crds(directory):
    """(group, kind, version) -> strict JSON schema, for every CRD in directory."""
    schemas = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as file:
            for document in yaml.safe_load_all(file):
                if not document or document.get("kind") != "CustomResourceDefinition":
                    continue
                spec = document["spec"]
                for version in spec["versions"]:
                    schema = version["schema"]["openAPIV3Schema"]
                    # metadata is the API server's (ObjectMeta): checked for name/namespace below, not by the CRD.
                    properties = dict(schema.get("properties", {}))
                    properties.update(apiVersion={"type": "string"}, kind={"type": "string"}, metadata={"type": "object"})
                    schema = dict(schema, properties=properties)
                    schemas[(spec["group"], spec["names"]["kind"], version["name"])] = strict_schema(schema)
    return schemas


def main(arguments):
    if len(arguments) < 3:
        sys.exit("usage: validate_manifests.py CRD_DIR KUBERNETES_VERSION RENDERED.yaml...")
    crd_dir, version, files = arguments[0], arguments[1], arguments[2:]
    crds = load_crds(crd_dir)
    errors, checked, skipped = 0, 0, 0
    for path in files:
        with open(path) as file:
            documents = [d for d in yaml.safe_load_all(file) if d]
        for document in documents:
            api_version = document.get("apiVersion", "")
            kind = document.get("kind", "")
            group, _, object_version = api_version.rpartition("/")
            name = f"{path}: {kind}/{(document.get('metadata') or {}).get('name', '?')}"
            if (group, kind) in SKIPPED:
                print(f"SKIP {name}: {SKIPPED[(group, kind)]}")
                skipped += 1
                continue
            schema = crds.get((group, kind, object_version))
            if schema is not None:
                if not (document.get("metadata") or {}).get("name"):
                    print(f"ERROR {name}: no metadata.name")
                    errors += 1
                for error in jsonschema.Draft7Validator(schema).iter_errors(document):
                    field = ".".join(str(p) for p in error.absolute_path) or "(top)"
                    print(f"ERROR {name}: {field}: {error.message} (against the CRD in {crd_dir})")
                    errors += 1
                checked += 1
                continue
            try:
                kubernetes_validate.validate(document, version, strict=True)
                checked += 1
            except kubernetes_validate.SchemaNotFoundError:
                print(f"ERROR {name}: no schema for {api_version} {kind} in Kubernetes {version} nor in {crd_dir}: "
                      "a typo in apiVersion/kind, or a CRD to add to deploy/crds")
                errors += 1
            except kubernetes_validate.ValidationError as error:
                field = ".".join(str(p) for p in error.path) or "(top)"
                print(f"ERROR {name}: {field}: {error.message} (Kubernetes {version}, strict)")
                errors += 1
    print(f"{checked} objects valid, {skipped} skipped, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
