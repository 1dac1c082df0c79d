// Validates every Kubernetes object that the kustomize entry points of k8s/ render, against
// the Kubernetes API schemas shipped by the npm package `kubernetes-models`, plus a few
// deployment rules the services share. Run by scripts/contract-checks.sh k8s-validate.
//
//   node validate.mjs <k8s-dir>   run the self-test, then render k8s/base and every
//                                 k8s/overlays/* with `kubectl kustomize` ($KUBECTL,
//                                 default kubectl) and check every object
//   node validate.mjs --self-test only prove the checks reject what they must (and only that)
//
// Schema check. Each object is built into its kind's model class (kubernetes-models/<group
// version>/<Kind>) and run through the model's validate(): wrong types, missing required
// fields and bad enum values fail. An apiVersion/kind without a model (a typo, a CRD, a
// removed API) fails too: nothing passes unchecked.
//
// Unknown fields. The schemas in kubernetes-models do not set additionalProperties:false,
// so validate() alone accepts `imagePullPolcy: Always`. The API server would drop such a
// field (or reject it under strict field validation), so we reject it here: the validator
// runs on a Proxy that records which property names the compiled schema looks up on each
// object. A typed schema looks up every property it declares (present or not); a
// string-keyed map (labels, data, resources.limits) is iterated instead. So on an object that
// was not iterated, any own key the schema never looked up is not in the schema. Objects
// whose schema declares no properties at all (free-form JSON such as RawExtension) are left
// alone. The self-test checks this against a known-bad Deployment on every run, so an
// upgrade of kubernetes-models that changes how validators read data cannot silently
// switch the check off.
//
// Policy (the pattern every service copies; see k8s/intake-svc/deployment.yaml):
//   - every pod: non-root, seccomp RuntimeDefault/Localhost, no service-account token;
//     every container: no privilege escalation, capabilities drop ALL, read-only root
//     filesystem, CPU/memory requests and a memory limit;
//   - a Deployment's containers have liveness and readiness probes;
//   - CAK_AUTH_MODE=development appears in no entry point except overlays/dev*;
//   - in overlays/production every image is pinned (a tag other than latest, or a digest).

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// ---------------------------------------------------------------------------------------
// Schema validation

const modelCache = new Map();

// The model class for apiVersion/kind, or null when kubernetes-models has none.
async function loadModel(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key);
  let model = null;
  // Only plain identifiers: never let a manifest steer the import path.
  if (/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
      const cls = mod[kind];
      // Sub-types (DeploymentSpec, ...) are modules too; only top-level kinds carry these.
      if (cls && cls.apiVersion === apiVersion && cls.kind === kind) model = cls;
    } catch (err) {
      if (err?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && err?.code !== "ERR_MODULE_NOT_FOUND") {
        throw err;
      }
    }
  }
  modelCache.set(key, model);
  return model;
}

// Wraps `value` so that property look-ups are recorded in `log` (path -> record).
function track(value, where, log) {
  if (value === null || typeof value !== "object") return value;
  const rec = {
    array: Array.isArray(value),
    keys: Array.isArray(value) ? [] : Object.keys(value),
    lookedUp: new Set(),
    iterated: false,
  };
  log.set(where, rec);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      rec.lookedUp.add(key);
      if (v !== null && typeof v === "object" && Object.hasOwn(target, key)) {
        if (!children.has(key)) children.set(key, track(v, `${where}/${key}`, log));
        return children.get(key);
      }
      return v;
    },
    has(target, key) {
      if (typeof key === "string") rec.lookedUp.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      rec.iterated = true;
      return Reflect.ownKeys(target);
    },
  });
}

// Schema errors of one object, as strings ("" path = the object itself).
async function schemaErrors(obj) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    return ["document is not a mapping"];
  }
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind must be strings"];
  }
  const Model = await loadModel(apiVersion, kind);
  if (!Model) {
    return [`no schema for ${apiVersion} ${kind} in kubernetes-models (unknown kind, typo, CRD or removed API)`];
  }
  const errors = [];
  const log = new Map();
  const model = new Model(obj);
  try {
    model.validate.call(track(model, "", log));
  } catch (err) {
    errors.push(...String(err.message).split(", data").map((m, i) => (i ? `data${m}` : m)));
  }
  for (const [where, rec] of log) {
    if (rec.array || rec.iterated || rec.lookedUp.size === 0) continue;
    for (const key of rec.keys) {
      if (!rec.lookedUp.has(key)) errors.push(`data${where} has unknown field "${key}"`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------
// Policy

const POD_TEMPLATE_PATHS = {
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
  Pod: ["spec"],
};

const dig = (obj, keys) => keys.reduce((o, k) => (o == null ? undefined : o[k]), obj);

function podPolicyErrors(obj) {
  const keys = POD_TEMPLATE_PATHS[obj.kind];
  if (!keys) return [];
  const pod = dig(obj, keys);
  if (!pod) return [];
  const errors = [];
  const psc = pod.securityContext ?? {};
  if (pod.automountServiceAccountToken !== false) {
    errors.push("pod: automountServiceAccountToken must be false");
  }
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const c of containers) {
    const csc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if ((csc.runAsNonRoot ?? psc.runAsNonRoot) !== true) errors.push(`${where}: runAsNonRoot must be true`);
    const seccomp = (csc.seccompProfile ?? psc.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      errors.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
    }
    if (csc.allowPrivilegeEscalation !== false) errors.push(`${where}: allowPrivilegeEscalation must be false`);
    if (csc.privileged === true) errors.push(`${where}: must not be privileged`);
    if (!(csc.capabilities?.drop ?? []).includes("ALL")) errors.push(`${where}: capabilities must drop ALL`);
    if (csc.readOnlyRootFilesystem !== true) errors.push(`${where}: readOnlyRootFilesystem must be true`);
    const r = c.resources ?? {};
    for (const res of ["cpu", "memory"]) {
      if (r.requests?.[res] === undefined) errors.push(`${where}: resources.requests.${res} missing`);
    }
    if (r.limits?.memory === undefined) errors.push(`${where}: resources.limits.memory missing`);
  }
  if (obj.kind === "Deployment") {
    for (const c of pod.containers ?? []) {
      if (!c.livenessProbe) errors.push(`container ${c.name}: livenessProbe missing`);
      if (!c.readinessProbe) errors.push(`container ${c.name}: readinessProbe missing`);
    }
  }
  return errors;
}

function imagesOf(obj) {
  const keys = POD_TEMPLATE_PATHS[obj.kind];
  const pod = keys && dig(obj, keys);
  if (!pod) return [];
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c) => c.image);
}

function isPinned(image) {
  if (typeof image !== "string") return false;
  if (image.includes("@sha256:")) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon >= 0 && lastSegment.slice(colon + 1) !== "latest";
}

// Every CAK_AUTH_MODE value an object sets (ConfigMap data, or a container env literal).
function authModesOf(obj) {
  const modes = [];
  if (obj.kind === "ConfigMap" && obj.data && "CAK_AUTH_MODE" in obj.data) modes.push(obj.data.CAK_AUTH_MODE);
  const keys = POD_TEMPLATE_PATHS[obj.kind];
  const pod = keys && dig(obj, keys);
  for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.name === "CAK_AUTH_MODE" && "value" in e) modes.push(e.value);
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    args.forEach((a, i) => {
      if (a.startsWith("--auth-mode=")) modes.push(a.slice("--auth-mode=".length));
      if (a === "--auth-mode" && i + 1 < args.length) modes.push(args[i + 1]);
    });
  }
  return modes;
}

// Policy errors of one object within entry point `entry` ("base", "overlays/production").
function policyErrors(obj, entry) {
  const errors = podPolicyErrors(obj);
  const devEntry = /^overlays\/dev/.test(entry);
  if (!devEntry && authModesOf(obj).some((m) => m !== "jwt")) {
    errors.push(`CAK_AUTH_MODE must be jwt outside overlays/dev* (found ${JSON.stringify(authModesOf(obj))})`);
  }
  if (entry === "overlays/production") {
    for (const image of imagesOf(obj)) {
      if (!isPinned(image)) errors.push(`image ${image} is not pinned (tag other than latest, or digest)`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------
// Driver

function objectName(obj) {
  const ns = obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj?.apiVersion ?? "?"} ${obj?.kind ?? "?"} ${ns}${obj?.metadata?.name ?? "?"}`;
}

// Parses a multi-document YAML stream the way kubectl reads manifests (YAML 1.1 scalars).
function parseManifests(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text, { version: "1.1", uniqueKeys: true })) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    // kubectl accepts List kinds; validate their items one by one.
    if (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) {
      objects.push(...value.items);
    } else {
      objects.push(value);
    }
  }
  return objects;
}

async function checkObjects(objects, entry) {
  const failures = [];
  for (const obj of objects) {
    const errs = [...(await schemaErrors(obj)), ...(obj && typeof obj === "object" ? policyErrors(obj, entry) : [])];
    for (const e of errs) failures.push(`${entry}: ${objectName(obj)}: ${e}`);
  }
  return failures;
}

function entryPoints(k8sDir) {
  const entries = [];
  if (existsSync(path.join(k8sDir, "base", "kustomization.yaml"))) entries.push("base");
  const overlays = path.join(k8sDir, "overlays");
  if (existsSync(overlays)) {
    for (const name of readdirSync(overlays).sort()) {
      const dir = path.join(overlays, name);
      if (statSync(dir).isDirectory()) entries.push(`overlays/${name}`);
    }
  }
  return entries;
}

async function validateTree(k8sDir) {
  // A validator that cannot fail proves nothing: run the self-test first, every time.
  const self = await selfTest({ quiet: true });
  if (self.rc !== 0) return self.rc;
  const kubectl = process.env.KUBECTL || "kubectl";
  const entries = entryPoints(k8sDir);
  if (!entries.includes("base")) {
    console.error(`no kustomization at ${path.join(k8sDir, "base")}`);
    return 1;
  }
  const failures = [];
  let count = 0;
  for (const entry of entries) {
    let rendered;
    try {
      rendered = execFileSync(kubectl, ["kustomize", path.join(k8sDir, entry)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      failures.push(`${entry}: kubectl kustomize failed: ${(err.stderr || err.message).trim()}`);
      continue;
    }
    let objects;
    try {
      objects = parseManifests(rendered, entry);
    } catch (err) {
      failures.push(`${entry}: ${err.message}`);
      continue;
    }
    if (objects.length === 0) failures.push(`${entry}: renders no objects`);
    count += objects.length;
    failures.push(...(await checkObjects(objects, entry)));
  }
  for (const f of failures) console.error(`  ${f}`);
  if (failures.length) {
    console.log(`k8s-validate: FAIL (${failures.length} problem(s) in ${entries.join(", ")})`);
    return 1;
  }
  console.log(
    `k8s-validate: OK (${count} objects from ${entries.length} entry points [${entries.join(", ")}], ` +
      `kubernetes-models schemas, unknown fields rejected, policy ok; self-test ${self.cases} cases ok)`,
  );
  return 0;
}

// ---------------------------------------------------------------------------------------
// Self-test: each broken case must be rejected for the stated reason, the good ones pass.

function goodDeployment() {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "t", labels: { "app.kubernetes.io/name": "t", "example.com/any-key": "x" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "app.kubernetes.io/name": "t" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "t" }, annotations: { "prometheus.io/scrape": "true" } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "t",
              image: "registry.example/t:1.0.0",
              ports: [{ name: "grpc", containerPort: 50051 }],
              livenessProbe: { grpc: { port: 8081, service: "liveness" } },
              readinessProbe: { grpc: { port: 8081 } },
              resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

async function selfTest({ quiet = false } = {}) {
  const cases = [];
  const expect = (name, obj, entry, pattern) => cases.push({ name, obj, entry, pattern });

  expect("valid Deployment passes", goodDeployment(), "base", null);
  expect(
    "free-form map keys (labels, ConfigMap data) pass",
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { "a.b/c": "d" } }, data: { ANY_KEY: "v" } },
    "base",
    null,
  );
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].imagePullPolcy = "Always";
    expect("unknown field inside a container", d, "base", /containers\/0 has unknown field "imagePullPolcy"/);
  }
  {
    const d = goodDeployment();
    d.spec.replicas = "3";
    expect("string where an integer belongs", d, "base", /spec\/replicas must be integer/);
  }
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].livenessProbe.grpc.port = "8081";
    expect("string where an integer belongs (nested)", d, "base", /grpc\/port must be integer/);
  }
  {
    const d = goodDeployment();
    d.spec.template.spec.securityContext.runAsNonRot = true;
    expect("unknown field in pod securityContext", d, "base", /securityContext has unknown field "runAsNonRot"/);
  }
  {
    const d = goodDeployment();
    d.spec.tempalte = d.spec.template;
    expect("unknown field at spec level", d, "base", /spec has unknown field "tempalte"/);
  }
  expect(
    "unknown kind fails loudly",
    { apiVersion: "example.cak.nl/v1", kind: "Widget", metadata: { name: "w" } },
    "base",
    /no schema for example\.cak\.nl\/v1 Widget/,
  );
  expect(
    "sub-type posing as a kind fails",
    { apiVersion: "apps/v1", kind: "DeploymentSpec", metadata: { name: "w" } },
    "base",
    /no schema for apps\/v1 DeploymentSpec/,
  );
  {
    const d = goodDeployment();
    delete d.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation;
    expect("policy: privilege escalation not disabled", d, "base", /allowPrivilegeEscalation must be false/);
  }
  expect(
    "policy: development auth mode outside dev",
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { CAK_AUTH_MODE: "development" } },
    "overlays/production",
    /CAK_AUTH_MODE must be jwt/,
  );
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].image = "registry.example/t";
    expect("policy: unpinned image in production", d, "overlays/production", /is not pinned/);
  }
  {
    const yamlText = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n  a: c\n";
    cases.push({ name: "duplicate YAML key fails", yamlText, entry: "base", pattern: /unique|duplicate/i });
  }

  let failed = 0;
  for (const c of cases) {
    let errors;
    try {
      const objects = c.yamlText ? parseManifests(c.yamlText, "self-test") : [c.obj];
      errors = await checkObjects(objects, c.entry);
    } catch (err) {
      errors = [String(err.message)];
    }
    const ok = c.pattern === null ? errors.length === 0 : errors.some((e) => c.pattern.test(e));
    if (!ok) {
      failed++;
      console.error(`  self-test case failed: ${c.name}: got ${JSON.stringify(errors)}`);
    }
  }
  if (failed) {
    console.log(`k8s-validate: FAIL (validator self-test: ${failed} of ${cases.length} cases wrong)`);
    return { rc: 1, cases: cases.length };
  }
  if (!quiet) {
    console.log(`k8s-validate self-test: OK (${cases.length} cases: broken manifests rejected, valid ones pass)`);
  }
  return { rc: 0, cases: cases.length };
}

// ---------------------------------------------------------------------------------------

const arg = process.argv[2];
let rc;
if (arg === "--self-test") {
  rc = (await selfTest()).rc;
} else if (arg && !arg.startsWith("-")) {
  rc = await validateTree(path.resolve(arg));
} else {
  console.error("usage: node validate.mjs <k8s-dir> | --self-test");
  rc = 2;
}
process.exitCode = rc;
