#!/usr/bin/env python3
"""Validates every manifest in deploy/spinkube/ against the schema it claims, so that a
misspelt field fails as `kubectl apply --validate=strict` would refuse it.

- SpinApp (core.spinkube.dev/v1alpha1): the openAPIV3Schema of the Spin Operator's CRD, kept in
  deploy/spinkube/schemas/ with its origin, made strict: `additionalProperties: false` on every
  object schema that lists `properties` and neither sets `additionalProperties` nor
  `x-kubernetes-preserve-unknown-fields`. Its metadata against Kubernetes' ObjectMeta.
- Kubernetes core types (Secret, CronJob): kubernetes-validate's bundled schemas, strict, for
  each Kubernetes version in KUBERNETES_VERSIONS. A kind it has no schema for fails.
- What no schema knows: every SpinApp variable is one of spin.toml's [variables], every
  `secret = true` one comes from a Secret, the runtime config Secret it loads is here and holds
  a Redis/Valkey `default` store and `block_networks = ["private"]` (keys as in Spin's
  source), and each CronJob calls, with the admin token, a route listed in the reference page
  of one of spin.toml's components (docs/<component>.md).
- That the validation bites: copies with a field misspelt (spec.replicas, loadFromSecret,
  concurrencyPolicy, restartPolicy) must fail.

Run by scripts/test.sh with the venv that scripts/setup.sh makes:
    .toolchain/venv/bin/python scripts/validate-spinkube.py [DIR]
"""

import copy
import re
import sys
import tomllib
from pathlib import Path

import jsonschema
import referencing
import yaml
from kubernetes_validate import utils as kv_utils

ROOT = Path(__file__).resolve().parent.parent
# The oldest Kubernetes the manifests use a field of (CronJob's timeZone is GA in 1.27) and
# the newest kubernetes-validate bundles.
KUBERNETES_VERSIONS = ["1.27.0", "1.37.0"]
CRD_FILE = "schemas/core.spinkube.dev_spinapps.yaml"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def strict(schema):
    """The schema with `additionalProperties: false` wherever the API server would prune or
    (with --validate=strict) refuse an unknown field."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def error_text(err):
    path = ".".join(str(p) for p in err.absolute_path) or "(top)"
    return f"{path}: {err.message}"


class Validator:
    def __init__(self, folder):
        self.folder = folder
        self.passed = 0
        self.failed = 0
        crd = next(d for d in yaml.safe_load_all((folder / CRD_FILE).read_text()) if d)
        self.crd_kind = crd["spec"]["names"]["kind"]
        self.crd_versions = {}
        for version in crd["spec"]["versions"]:
            api_version = f'{crd["spec"]["group"]}/{version["name"]}'
            schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            # The CRD leaves metadata to the API server, which reads it as ObjectMeta.
            schema["properties"]["metadata"] = {
                "$ref": f"https://kubernetes.io/api/_definitions.json#/$defs/{OBJECT_META}"
            }
            self.crd_versions[api_version] = schema
        # Kubernetes' strict definitions (ObjectMeta and what it uses), from kubernetes-validate.
        version = KUBERNETES_VERSIONS[-1]
        defs = kv_utils.schema_contents(
            f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version
        )
        self.registry = referencing.Registry().with_resource(
            "https://kubernetes.io/api/_definitions.json",
            referencing.Resource.from_contents(defs),
        )

    def result(self, where, errors):
        if errors:
            self.failed += 1
            for e in errors:
                print(f"FAIL {where}: {e}")
        else:
            self.passed += 1
            print(f"ok   {where}")

    def validate(self, name, doc):
        kind, api_version = doc.get("kind"), doc.get("apiVersion")
        what = f'{name} {kind}/{doc.get("metadata", {}).get("name")}'
        if kind == self.crd_kind:
            schema = self.crd_versions.get(api_version)
            if schema is None:
                self.result(what, [f"apiVersion {api_version} is not served by the CRD"])
                return
            v = jsonschema.Draft202012Validator(schema, registry=self.registry)
            errors = [error_text(e) for e in v.iter_errors(doc)]
            self.result(f"{what} against the SpinApp CRD ({CRD_FILE}, strict)", errors)
            return
        for version in KUBERNETES_VERSIONS:
            self.result(f"{what} against Kubernetes {version} (strict)", k8s_errors(doc, version))


def k8s_errors(doc, version):
    """Every error of doc against kubernetes-validate's strict schema of its kind (the
    package's own `validate` stops at the first)."""
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    # As kubernetes-validate names its files: batch/v1 -> batch-v1, v1 -> v1.
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(doc.get("apiVersion")))
    try:
        schema = kv_utils.schema_contents(f"{folder}/{str(doc.get('kind')).lower()}-{api}.json", version)
    except FileNotFoundError:
        return [f"no Kubernetes {version} schema for {doc.get('kind')} {doc.get('apiVersion')}"]
    defs = kv_utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = referencing.Resource.from_contents(defs) @ (
        referencing.Resource.from_contents(schema) @ referencing.Registry()
    )
    v = jsonschema.Draft202012Validator(schema, registry=registry)
    return [error_text(e) for e in v.iter_errors(doc)]


def secret_refs(obj):
    """Every secretKeyRef under obj."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "secretKeyRef":
                yield v
            else:
                yield from secret_refs(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from secret_refs(v)


def check_runtime_config(text):
    """The runtime config's keys, as Spin 3.6.3 and 4.0.2 read them."""
    errors = []
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return [f"runtime-config.toml: {e}"]
    unknown = set(config) - {"key_value_store", "outbound_networking"}
    if unknown:
        errors.append(f"runtime-config.toml: unknown tables {sorted(unknown)}")
    store = config.get("key_value_store", {}).get("default")
    if not store:
        errors.append("runtime-config.toml: no [key_value_store.default]")
    else:
        if store.get("type") != "redis":
            errors.append("runtime-config.toml: the default store is not type = \"redis\"")
        if set(store) != {"type", "url"}:
            errors.append(f"runtime-config.toml: the redis store takes type and url, not {sorted(store)}")
        if not str(store.get("url", "")).startswith(("redis://", "rediss://")):
            errors.append("runtime-config.toml: url is not redis:// or rediss://")
    net = config.get("outbound_networking", {})
    if set(net) - {"block_networks"}:
        errors.append(f"runtime-config.toml: [outbound_networking] takes block_networks, not {sorted(net)}")
    if "private" not in net.get("block_networks", []):
        errors.append('runtime-config.toml: [outbound_networking] block_networks lacks "private"')
    return errors


def check_consistency(v, docs, folder):
    """What the schemas cannot see."""
    manifest = tomllib.loads((ROOT / "spin.toml").read_text())
    variables = manifest.get("variables", {})
    secret_vars = {n for n, d in variables.items() if d.get("secret")}
    # The route tables of each component's reference page (docs/<component>.md).
    reference = "\n".join((ROOT / "docs" / f"{name}.md").read_text() for name in manifest.get("component", {}))
    folder_readme = (folder / "README.md").read_text()
    secrets = {d["metadata"]["name"]: d for _, d in docs if d.get("kind") == "Secret"}
    apps = [(n, d) for n, d in docs if d.get("kind") == "SpinApp"]
    errors = []
    admin = {}
    if len(apps) != 1:
        errors.append(f"expected one SpinApp, found {len(apps)}")
    for name, app in apps:
        spec = app.get("spec", {})
        bound = {}
        for var in spec.get("variables", []):
            if var.get("name") not in variables:
                errors.append(f'{name}: variable {var.get("name")!r} is not in spin.toml\'s [variables]')
            bound[var.get("name")] = var
        for missing in sorted(secret_vars - set(bound)):
            errors.append(f"{name}: the secret variable {missing} is not bound")
        for n in sorted(secret_vars & set(bound)):
            if "secretKeyRef" not in bound[n].get("valueFrom", {}):
                errors.append(f"{name}: the secret variable {n} does not come from a Secret")
        rc_secret = spec.get("runtimeConfig", {}).get("loadFromSecret")
        if rc_secret not in secrets:
            errors.append(f"{name}: runtimeConfig.loadFromSecret {rc_secret!r} is not a Secret in {folder.name}/")
        else:
            data = secrets[rc_secret].get("stringData", {})
            if "runtime-config.toml" not in data:
                errors.append(f"{rc_secret}: no stringData key runtime-config.toml")
            else:
                errors += check_runtime_config(data["runtime-config.toml"])
        admin = bound.get("admin_token", {}).get("valueFrom", {}).get("secretKeyRef", {})
        for ref in secret_refs(app):
            key = ref.get("key")
            if ref.get("name") not in secrets and f"--from-literal={key}=" not in folder_readme:
                errors.append(f"{name}: the key {key} of Secret {ref.get('name')} is not in README.md's kubectl create secret")
    for name, job in docs:
        if job.get("kind") != "CronJob":
            continue
        where = f'{name} CronJob/{job["metadata"]["name"]}'
        refs = list(secret_refs(job))
        if not refs or any((r.get("name"), r.get("key")) != (admin.get("name"), admin.get("key")) for r in refs):
            errors.append(f"{where}: the token is not the SpinApp's admin_token Secret key")
        script = " ".join(
            " ".join(c.get("command", []) + c.get("args", []))
            for c in job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        )
        urls = re.findall(r"http://spin-retention(/[^\"?\s]*)", script)
        if not urls:
            errors.append(f"{where}: calls no http://spin-retention/ route")
        for path in urls:
            if f"POST {path}" not in reference:
                errors.append(f"{where}: POST {path} is not a route in docs/<component>.md")
        if "--max-time" not in script:
            errors.append(f"{where}: curl without --max-time")
    v.result("the manifests agree with spin.toml, docs/ and each other", errors)


def misspelt(doc, path):
    """A copy of doc with the last key of path misspelt (a letter doubled; added when doc
    lacks it)."""
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        if not isinstance(parent.get(key), dict):
            parent[key] = {}
        parent = parent[key]
    parent[path[-1] + path[-1][-1]] = parent.pop(path[-1], "x")
    return doc


def check_strictness(v, docs):
    """The validation itself refuses a misspelt field, in the SpinApp and in a CronJob (were
    the schemas lax, a typo would pass unseen)."""
    probes = {
        "SpinApp": [["spec", "replicas"], ["spec", "runtimeConfig", "loadFromSecret"]],
        "CronJob": [["spec", "concurrencyPolicy"],
                    ["spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"]],
    }
    errors = []
    quiet = Validator(v.folder)
    for kind, paths in probes.items():
        doc = next((d for _, d in docs if d.get("kind") == kind), None)
        if doc is None:
            errors.append(f"no {kind} to misspell")
            continue
        for path in paths:
            bad = misspelt(doc, path)
            if kind == quiet.crd_kind:
                found = list(jsonschema.Draft202012Validator(
                    quiet.crd_versions[bad["apiVersion"]], registry=quiet.registry).iter_errors(bad))
            else:
                found = [e for version in KUBERNETES_VERSIONS for e in k8s_errors(bad, version)]
            if not found:
                errors.append(f"{kind} with {'.'.join(path)} misspelt passed")
    v.result("a misspelt field fails (spec.replicas, loadFromSecret, concurrencyPolicy, restartPolicy)", errors)


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "deploy" / "spinkube"
    v = Validator(folder)
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    for name, doc in docs:
        v.validate(name, doc)
    if not docs:
        v.result(str(folder), ["no manifests"])
    else:
        check_consistency(v, docs, folder)
        check_strictness(v, docs)
    print(f"spinkube-manifests: {v.passed} passed, {v.failed} failed")
    return 1 if v.failed else 0


if __name__ == "__main__":
    sys.exit(main())
