#!/usr/bin/env python3
"""What scripts/deploy-local.sh needs besides shell: turns the objects the kustomize entry points
render (k8s/overlays/local, k8s/overlays/local/migrate) into what `podman kube play` can run, and
writes the Secrets it mounts.

podman kube play (4.3) runs Pods, Deployments, PersistentVolumeClaims and ConfigMaps; it does
not know Jobs, Services, NetworkPolicies, HorizontalPodAutoscalers, PodDisruptionBudgets,
ServiceAccounts, CronJobs or Namespaces. So:
  - a migration Job runs as the Pod of its template (restartPolicy Never), the way the Job
    controller would run it once; deploy-local.sh waits for its exit code;
  - a Deployment is played with the ConfigMaps its pod reads, in one file (kube play resolves
    configMapRef only among the documents it is given);
  - a PersistentVolumeClaim becomes a named volume, created beforehand by deploy-local.sh;
  - a secret volume is written with `optional: false`, the Kubernetes default, which kube play
    needs spelled out;
  - container ports are left out: kube play (4.3) publishes every containerPort on the host
    (so the second pod with port 8081 fails to start), while in Kubernetes they only document;
    the pods are reached on their own addresses, where every port is open;
  - everything else is listed as not run, with the reason.

  deploy_local.py split <rendered.yaml> <out-dir>
      writes <out-dir>/<name>.yaml per Job (as a Pod) or Deployment and prints one line per
      object: `run <kind> <name> <file>`, `volume <claim>`, `secret <name>` (each secret a
      pod mounts) or `skip <kind> <name> <reason>`
  deploy_local.py setting <rendered.yaml> <VARIABLE>
      prints the distinct values the Deployments' containers give VARIABLE (env, and the
      ConfigMaps of envFrom), one a line, e.g. the JWT issuer and audiences the CLI must mint
  deploy_local.py secret <name> <key>=<file>...
      prints a Kubernetes Secret for `podman secret create`; the values are written as they
      are, since kube play (4.3) mounts `data` without base64-decoding it
"""
import json
import os
import sys

import yaml

# Kinds kube play does not run, and why nothing is lost here by leaving them out.
NOT_RUN = {
    "Namespace": "podman has no namespaces",
    "ServiceAccount": "no API server: the pods mount no token anyway",
    "Service": "no cluster DNS or kube-proxy: the overlay's hostAliases name the pods' fixed addresses",
    "NetworkPolicy": "no network policy on a Podman network",
    "HorizontalPodAutoscaler": "one pod per Deployment",
    "PodDisruptionBudget": "no evictions",
    "CronJob": "the nightly purge is not part of the run",
    "PodMonitor": "no Prometheus Operator: deploy-local.sh scrapes /metrics itself",
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def dump(path, docs):
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


def config_maps_of(pod_spec):
    names = []
    for c in pod_spec.get("initContainers", []) + pod_spec.get("containers", []):
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                names.append(source["configMapRef"]["name"])
        for var in c.get("env", []):
            ref = var.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                names.append(ref["name"])
    for v in pod_spec.get("volumes", []):
        if "configMap" in v:
            names.append(v["configMap"]["name"])
    return list(dict.fromkeys(names))


def without_host_ports(pod_spec):
    for c in pod_spec.get("initContainers", []) + pod_spec.get("containers", []):
        c.pop("ports", None)


def secrets_and_claims(pod_spec):
    secrets, claims = [], []
    for v in pod_spec.get("volumes", []):
        if "secret" in v:
            v["secret"]["optional"] = False
            secrets.append(v["secret"]["secretName"])
        if "persistentVolumeClaim" in v:
            claims.append(v["persistentVolumeClaim"]["claimName"])
    return secrets, claims


def split(rendered, out_dir):
    docs = load(rendered)
    config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    os.makedirs(out_dir, exist_ok=True)
    lines = []
    for d in docs:
        kind, name = d["kind"], d["metadata"]["name"]
        if kind in ("ConfigMap", "PersistentVolumeClaim"):
            continue  # played with the pods that use them; claims become volumes
        if kind == "Job":
            template = d["spec"]["template"]
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": template.get("metadata", {}).get("labels", {})},
                "spec": template["spec"],
            }
            pod["spec"]["restartPolicy"] = "Never"
            objects = [pod]
            spec = pod["spec"]
        elif kind == "Deployment":
            objects = [d]
            spec = d["spec"]["template"]["spec"]
        elif kind in NOT_RUN:
            lines.append(f"skip {kind} {name} {NOT_RUN[kind]}")
            continue
        else:
            sys.exit(f"deploy_local.py: {kind} {name}: podman kube play cannot run it, and nothing says why "
                     "it may be left out (add it to NOT_RUN with the reason)")
        without_host_ports(spec)
        secrets, claims = secrets_and_claims(spec)
        missing = [n for n in config_maps_of(spec) if n not in config_maps]
        if missing:
            sys.exit(f"deploy_local.py: {kind} {name} reads ConfigMaps that are not rendered: {missing}")
        file = os.path.join(out_dir, f"{name}.yaml")
        dump(file, [config_maps[n] for n in config_maps_of(spec)] + objects)
        lines.append(f"run {kind} {name} {file}")
        lines += [f"secret {s}" for s in secrets] + [f"volume {c}" for c in claims]
    print("\n".join(dict.fromkeys(lines)))


def setting(rendered, variable):
    docs = load(rendered)
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    found = {}  # insertion-ordered set
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        for c in d["spec"]["template"]["spec"]["containers"]:
            values = {}
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    values.update(config_maps[source["configMapRef"]["name"]])
            for var in c.get("env", []):
                if "value" in var:
                    values[var["name"]] = var["value"]
            if variable in values:
                found.setdefault(values[variable])
    print("\n".join(found))


def secret(name, items):
    data = {}
    for item in items:
        key, _, file = item.partition("=")
        with open(file, encoding="utf-8") as f:
            data[key] = f.read()
    # JSON is YAML, and keeps every byte of the values (PEM newlines included).
    print(json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}))


def main(argv):
    if len(argv) == 3 and argv[0] == "split":
        split(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "setting":
        setting(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "secret":
        secret(argv[1], argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
