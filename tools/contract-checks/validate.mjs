// Validates every Kubernetes object that the kustomize entry points of k8s/ render, against
// the Kubernetes API schemas shipped by the npm package `kubernetes-models`, plus the
// deployment rules the services share. Run by scripts/contract-checks.sh k8s-validate.
//
//   node validate.mjs <k8s-dir>   run the self-test, then render k8s/base and every
//                                 kustomization below k8s/overlays (components excepted)
//                                 with `kubectl kustomize` ($KUBECTL, default kubectl) and
//                                 check every object, every entry point and the entry points
//                                 of each overlay together
//   node validate.mjs --self-test only prove the checks reject what they must (and only that)
//
// Schema check. Each object is built into its kind's model class (kubernetes-models/<group
// version>/<Kind>) and run through the model's validate(): wrong types, missing required
// fields and bad enum values fail. An apiVersion/kind without a model (a typo, a CRD, a
// removed API) fails too: nothing passes unchecked. The one CRD the suite renders, the
// Prometheus Operator's monitoring.coreos.com/v1 PodMonitor (components/monitoring), has no
// model there; its essential shape is checked by hand instead (known fields only, a
// non-empty selector, endpoints that name their port, durations).
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
// Policy of one object (the pattern every service copies; see k8s/intake-svc/deployment.yaml):
//   - every pod: non-root, seccomp RuntimeDefault/Localhost, no service-account token;
//     every container: no privilege escalation, capabilities drop ALL, read-only root
//     filesystem, CPU/memory requests and a memory limit;
//   - a Deployment's containers have liveness and readiness probes;
//   - CAK_AUTH_MODE=development appears in no entry point except overlays/dev*;
//   - every image has a tag or a digest (sha256, 64 hex digits); in overlays/production* it
//     is pinned (a tag other than latest, or a digest).
//
// Policy of one entry point (all objects it renders together):
//   - one Namespace, and every other object in it (a component's objects name it themselves);
//   - ConfigMaps that pods reference are rendered; ServiceAccounts that pods run as are too;
//   - one image per service (server, migration Job and purge CronJob run the same build);
//     k8s/base renders the version of the top-level CMakeLists.txt as the tag; in
//     overlays/production* every tag equals the objects' app.kubernetes.io/version label;
//   - every Deployment is scaled by exactly one autoscaling/v2 HorizontalPodAutoscaler on CPU
//     utilisation, has no spec.replicas, every container requests CPU, the HPA sets
//     minReplicas (2 or more outside overlays/dev), maxReplicas >= minReplicas and its
//     behaviour, and a PodDisruptionBudget selects the pods without blocking evictions at
//     minReplicas;
//   - a Deployment's terminationGracePeriodSeconds exceeds its preStop sleep plus
//     CAK_SHUTDOWN_GRACE, and CAK_MAX_CONNECTION_AGE / CAK_MAX_CONNECTION_AGE_GRACE are set
//     (resolved through envFrom ConfigMaps and env) within the servers' bounds;
//   - PodMonitors select Deployment pods only, and the port they name is a container port
//     of those pods whose number is the container's CAK_METRICS_PORT; where any PodMonitor
//     is rendered (always in overlays/production and overlays/production/with-hooks) each
//     Deployment is scraped by exactly one;
//   - an overlay (overlays/<name>) renders no Job: plain `kubectl apply` would start the
//     migration Jobs together with the Deployments. overlays/<name>/migrate renders only
//     Namespace, NetworkPolicy, ServiceAccount and Job; k8s/base and
//     overlays/<name>/with-hooks render a migration Job for every Deployment. A migration
//     Job (component=migration, --migrate-only) keeps its Argo CD and Helm hook annotations
//     and is let out by a NetworkPolicy of its own (default-deny-all blocks PostgreSQL).
//
// Policy of the entry points of one overlay together: overlays/<name>/migrate and
// overlays/<name>/with-hooks exist, and with-hooks renders exactly the objects of
// overlays/<name> and overlays/<name>/migrate together, each identical (so the objects the
// two plain-kubectl steps both apply are the same, and nothing is left out of either).
// overlays/local (scripts/deploy-local.sh) renders, entry point by entry point, exactly the
// objects of overlays/production but its PodMonitors, each differing only in its images'
// tag (`local`) and the pod templates' hostAliases.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";

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
  const shape = CRD_SHAPES[`${apiVersion} ${kind}`];
  if (shape) return shape(obj);
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
// Shape of the CRD objects kubernetes-models has no model for

const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isStringMap = (v) => isMap(v) && Object.values(v).every((x) => typeof x === "string");
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// Prometheus durations as the operator's CRD pattern accepts them ("30s", "1m30s").
const PROM_DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
const PROM_UNITS = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

function promSeconds(text) {
  let total = 0;
  for (const m of String(text).matchAll(/([0-9]+)(ms|y|w|d|h|m|s)/g)) total += Number(m[1]) * PROM_UNITS[m[2]];
  return total;
}

// Fields of monitoring.coreos.com/v1 PodMonitor (prometheus-operator v0.7x-0.8x).
const PODMONITOR_SPEC_FIELDS = [
  "attachMetadata", "bodySizeLimit", "convertClassicHistogramsToNHCB", "fallbackScrapeProtocol", "jobLabel",
  "keepDroppedTargets", "labelLimit", "labelNameLengthLimit", "labelValueLengthLimit", "namespaceSelector",
  "nativeHistogramBucketLimit", "nativeHistogramMinBucketFactor", "podMetricsEndpoints", "podTargetLabels",
  "sampleLimit", "scrapeClass", "scrapeClassicHistograms", "scrapeProtocols", "selector", "selectorMechanism",
  "targetLimit",
];
const PODMONITOR_ENDPOINT_FIELDS = [
  "authorization", "basicAuth", "bearerTokenSecret", "enableHttp2", "filterRunning", "followRedirects",
  "honorLabels", "honorTimestamps", "interval", "metricRelabelings", "noProxy", "oauth2", "params", "path", "port",
  "portNumber", "proxyConnectHeader", "proxyFromEnvironment", "proxyUrl", "relabelings", "scheme", "scrapeTimeout",
  "targetPort", "tlsConfig", "trackTimestampsStaleness",
];
const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

function labelSelectorErrors(sel, where, errors) {
  if (!isMap(sel)) {
    errors.push(`data${where} must be a mapping`);
    return;
  }
  for (const k of Object.keys(sel)) {
    if (k !== "matchLabels" && k !== "matchExpressions") errors.push(`data${where} has unknown field "${k}"`);
  }
  if (sel.matchLabels !== undefined && !isStringMap(sel.matchLabels)) {
    errors.push(`data${where}/matchLabels must map strings to strings`);
  }
  (Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []).forEach((e, i) => {
    const at = `data${where}/matchExpressions/${i}`;
    if (!isMap(e) || typeof e.key !== "string" || !SELECTOR_OPERATORS.includes(e.operator)) {
      errors.push(`${at} needs a key and an operator (${SELECTOR_OPERATORS.join(", ")})`);
    }
  });
  if (sel.matchExpressions !== undefined && !Array.isArray(sel.matchExpressions)) {
    errors.push(`data${where}/matchExpressions must be an array`);
  }
}

function podMonitorShapeErrors(obj) {
  const errors = [];
  const only = (o, allowed, where) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) errors.push(`data${where} has unknown field "${k}"`);
  };
  only(obj, ["apiVersion", "kind", "metadata", "spec"], "");
  const md = obj.metadata;
  if (!isMap(md)) return [...errors, "data/metadata must be a mapping"];
  only(md, ["name", "namespace", "labels", "annotations"], "/metadata");
  if (typeof md.name !== "string" || !DNS1123_SUBDOMAIN.test(md.name)) {
    errors.push("data/metadata/name must be a DNS-1123 name");
  }
  for (const k of ["labels", "annotations"]) {
    if (md[k] !== undefined && !isStringMap(md[k])) errors.push(`data/metadata/${k} must map strings to strings`);
  }
  const spec = obj.spec;
  if (!isMap(spec)) return [...errors, "data/spec must be a mapping"];
  only(spec, PODMONITOR_SPEC_FIELDS, "/spec");
  if (spec.selector === undefined) {
    errors.push("data/spec must have required property 'selector'");
  } else {
    labelSelectorErrors(spec.selector, "/spec/selector", errors);
    if (isMap(spec.selector) && Object.keys(spec.selector.matchLabels ?? {}).length === 0 &&
        (spec.selector.matchExpressions ?? []).length === 0) {
      errors.push("data/spec/selector is empty: it would scrape every pod of the namespace");
    }
  }
  if (spec.namespaceSelector !== undefined) {
    if (!isMap(spec.namespaceSelector)) errors.push("data/spec/namespaceSelector must be a mapping");
    else only(spec.namespaceSelector, ["any", "matchNames"], "/spec/namespaceSelector");
  }
  if (spec.jobLabel !== undefined && typeof spec.jobLabel !== "string") {
    errors.push("data/spec/jobLabel must be a string");
  }
  if (spec.podTargetLabels !== undefined &&
      !(Array.isArray(spec.podTargetLabels) && spec.podTargetLabels.every((l) => typeof l === "string"))) {
    errors.push("data/spec/podTargetLabels must be an array of strings");
  }
  const eps = spec.podMetricsEndpoints;
  if (!Array.isArray(eps) || eps.length === 0) {
    errors.push("data/spec/podMetricsEndpoints must be a non-empty array");
    return errors;
  }
  eps.forEach((ep, i) => {
    const where = `/spec/podMetricsEndpoints/${i}`;
    if (!isMap(ep)) {
      errors.push(`data${where} must be a mapping`);
      return;
    }
    only(ep, PODMONITOR_ENDPOINT_FIELDS, where);
    // Scraped by the container port's name, so a renumbered port cannot silently break it.
    if (typeof ep.port !== "string" || !IANA_SVC_NAME.test(ep.port)) {
      errors.push(`data${where}/port must name the container port (a port name, not a number)`);
    }
    if (ep.path !== undefined && (typeof ep.path !== "string" || !ep.path.startsWith("/"))) {
      errors.push(`data${where}/path must be a string starting with /`);
    }
    if (ep.scheme !== undefined && !["http", "https", "HTTP", "HTTPS"].includes(ep.scheme)) {
      errors.push(`data${where}/scheme must be http or https`);
    }
    for (const k of ["interval", "scrapeTimeout"]) {
      if (ep[k] !== undefined && (typeof ep[k] !== "string" || ep[k] === "" || !PROM_DURATION.test(ep[k]))) {
        errors.push(`data${where}/${k} must be a Prometheus duration (e.g. 30s)`);
      }
    }
    if (typeof ep.interval === "string" && typeof ep.scrapeTimeout === "string" &&
        promSeconds(ep.scrapeTimeout) > promSeconds(ep.interval)) {
      errors.push(`data${where}/scrapeTimeout must not exceed interval`);
    }
  });
  return errors;
}

const CRD_SHAPES = {
  "monitoring.coreos.com/v1 PodMonitor": podMonitorShapeErrors,
};

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

const isProductionEntry = (entry) => /^overlays\/production(\/|$)/.test(entry);
const isDevEntry = (entry) => /^overlays\/dev/.test(entry);

// Name, tag and digest of an image reference: [registry[:port]/]path[:tag][@digest].
function parseImage(image) {
  const at = image.indexOf("@");
  const ref = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const colon = ref.indexOf(":", ref.lastIndexOf("/") + 1);
  return {
    name: colon >= 0 ? ref.slice(0, colon) : ref,
    tag: colon >= 0 ? ref.slice(colon + 1) : undefined,
    digest,
  };
}

function imageErrors(image, entry) {
  if (typeof image !== "string" || image === "") return ["container without an image"];
  const { tag, digest } = parseImage(image);
  const errors = [];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    errors.push(`image ${image}: a digest must be sha256: and 64 hex digits (a placeholder left in?)`);
  }
  if (isProductionEntry(entry)) {
    if (digest === undefined && (tag === undefined || tag === "" || tag === "latest")) {
      errors.push(`image ${image} is not pinned (tag other than latest, or digest)`);
    }
  } else if ((tag === undefined || tag === "") && digest === undefined) {
    errors.push(`image ${image} has no tag or digest (k8s/base and every overlay set one: images: newTag)`);
  }
  return errors;
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
  if (!isDevEntry(entry) && authModesOf(obj).some((m) => m !== "jwt")) {
    errors.push(`CAK_AUTH_MODE must be jwt outside overlays/dev* (found ${JSON.stringify(authModesOf(obj))})`);
  }
  for (const image of imagesOf(obj)) errors.push(...imageErrors(image, entry));
  return errors;
}

// ---------------------------------------------------------------------------------------
// Policy of one entry point: the objects it renders, together

// What an entry point is for, from its path: "complete" (k8s/base, overlays/<name>/with-hooks:
// everything, the migration Jobs as hooks), "main" (overlays/<name>: everything but the
// Jobs, plain kubectl step 2), "migrate" (overlays/<name>/migrate: step 1), or "other".
function entryRole(entry) {
  if (entry === "base") return "complete";
  const parts = entry.split("/");
  if (parts[0] !== "overlays") return "other";
  if (parts.length === 2) return "main";
  if (parts.length === 3 && parts[2] === "migrate") return "migrate";
  if (parts.length === 3 && parts[2] === "with-hooks") return "complete";
  return "other";
}

const MIGRATE_KINDS = ["Namespace", "NetworkPolicy", "ServiceAccount", "Job"];

const TEMPLATE_METADATA_PATHS = {
  Deployment: ["spec", "template", "metadata"],
  StatefulSet: ["spec", "template", "metadata"],
  DaemonSet: ["spec", "template", "metadata"],
  ReplicaSet: ["spec", "template", "metadata"],
  Job: ["spec", "template", "metadata"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "metadata"],
  Pod: ["metadata"],
};

const podOf = (obj) => (POD_TEMPLATE_PATHS[obj.kind] ? dig(obj, POD_TEMPLATE_PATHS[obj.kind]) : undefined);
const podLabelsOf = (obj) => dig(obj, [...(TEMPLATE_METADATA_PATHS[obj.kind] ?? ["-"]), "labels"]) ?? {};
const containersOf = (pod) => [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
const serviceOf = (obj) =>
  obj.metadata?.labels?.["app.kubernetes.io/name"] ?? podLabelsOf(obj)["app.kubernetes.io/name"];

function selectorMatches(sel, labels) {
  if (!isMap(sel)) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
    if (!SELECTOR_OPERATORS.includes(e.operator)) return false;
  }
  return true;
}
const selectorIsEmpty = (sel) =>
  !isMap(sel) || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);

// Seconds of a duration as the services parse it (absl: "250ms", "20s", "5m", "1h30m"; or "730d").
function durationSeconds(text) {
  if (typeof text !== "string") return NaN;
  if (text === "0") return 0;
  const days = /^([0-9]+)d$/.exec(text);
  if (days) return Number(days[1]) * 86400;
  const units = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  if (text === "") return NaN;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return NaN;
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

// The environment a container sees from the rendered ConfigMaps (envFrom, then env literals).
function containerEnv(c, configMaps) {
  const env = {};
  for (const src of c.envFrom ?? []) {
    const data = src.configMapRef ? configMaps.get(src.configMapRef.name) : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env[`${src.prefix ?? ""}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    if ("value" in e) env[e.name] = e.value;
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref && configMaps.get(ref.name)?.[ref.key] !== undefined) env[e.name] = configMaps.get(ref.name)[ref.key];
  }
  return env;
}

// Seconds a preStop hook waits: exec ["/bin/sleep", "N"] or the sleep action.
function preStopSeconds(c) {
  const pre = c.lifecycle?.preStop;
  if (Number.isInteger(pre?.sleep?.seconds)) return pre.sleep.seconds;
  const cmd = pre?.exec?.command ?? [];
  if (cmd.length === 2 && /(^|\/)sleep$/.test(cmd[0]) && /^[0-9]+$/.test(cmd[1])) return Number(cmd[1]);
  return 0;
}

// Pods a PodDisruptionBudget lets go at `replicas` replicas (int or percent, rounded up as
// the disruption controller does).
function pdbAllowedDisruptions(pdb, replicas) {
  const scaled = (v) =>
    typeof v === "string" && v.endsWith("%") ? Math.ceil((replicas * Number(v.slice(0, -1))) / 100) : Number(v);
  if (pdb.spec?.minAvailable !== undefined) return replicas - scaled(pdb.spec.minAvailable);
  if (pdb.spec?.maxUnavailable !== undefined) return scaled(pdb.spec.maxUnavailable);
  return 0;
}

const CONNECTION_AGE_BOUNDS = {
  // The servers' own bounds (common/grpc/service_config.cc).
  CAK_MAX_CONNECTION_AGE: [10, 24 * 3600],
  CAK_MAX_CONNECTION_AGE_GRACE: [0, 2 * 3600],
};

// Errors of the objects of one entry point taken together. ctx.projectVersion: the version of
// the top-level CMakeLists.txt (k8s/base renders it as the image tag).
function entryErrors(objects, entry, ctx = {}) {
  const errors = [];
  const err = (obj, msg) => errors.push(obj ? `${objectName(obj)}: ${msg}` : msg);
  const objs = objects.filter(isMap);
  const byKind = (kind) => objs.filter((o) => o.kind === kind);
  const role = entryRole(entry);
  const dev = isDevEntry(entry);
  const production = isProductionEntry(entry);
  const podOwners = objs.filter((o) => podOf(o));
  const sameNs = (a, b) => a.metadata?.namespace === b.metadata?.namespace;

  // Namespace: rendered once, and every object is in it.
  const namespaces = byKind("Namespace");
  if (namespaces.length !== 1) {
    err(
      null,
      `renders ${namespaces.length} Namespace objects; every entry point brings exactly the one its objects live in`,
    );
  } else {
    const ns = namespaces[0].metadata?.name;
    for (const o of objs) {
      if (o.kind !== "Namespace" && o.metadata?.namespace !== ns) {
        err(
          o,
          `metadata.namespace is ${JSON.stringify(o.metadata?.namespace)}, not ${ns} (objects a component adds must name it themselves)`,
        );
      }
    }
  }

  // References from pods: ConfigMaps (hash-suffixed names) and ServiceAccounts.
  const configMaps = new Map(byKind("ConfigMap").map((c) => [c.metadata?.name, c.data ?? {}]));
  const serviceAccounts = new Set(byKind("ServiceAccount").map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`));
  for (const o of podOwners) {
    const pod = podOf(o);
    const refs = [];
    for (const c of containersOf(pod)) {
      for (const src of c.envFrom ?? []) {
        if (src.configMapRef && !src.configMapRef.optional) refs.push(src.configMapRef.name);
      }
      for (const e of c.env ?? []) {
        const r = e.valueFrom?.configMapKeyRef;
        if (r && !r.optional) refs.push(r.name);
      }
    }
    for (const v of pod.volumes ?? []) if (v.configMap && !v.configMap.optional) refs.push(v.configMap.name);
    for (const name of refs) {
      if (!configMaps.has(name)) err(o, `references ConfigMap ${name}, which this entry point does not render`);
    }
    const sa = pod.serviceAccountName ?? "default";
    if (!serviceAccounts.has(`${o.metadata?.namespace}/${sa}`)) {
      err(o, `runs as ServiceAccount ${sa}, which this entry point does not render (the pod could not be created)`);
    }
  }

  // Images: one per service; the CMake project version in k8s/base; the version label in production.
  const imageOfService = new Map();
  for (const o of podOwners) {
    const svc = serviceOf(o);
    for (const image of imagesOf(o)) {
      if (typeof image !== "string") continue;
      if (svc !== undefined) {
        const seen = imageOfService.get(svc);
        if (seen === undefined) imageOfService.set(svc, image);
        else if (seen !== image) err(o, `runs ${image} but other objects of ${svc} run ${seen}: one build per service`);
      }
      const { tag } = parseImage(image);
      if (entry === "base" && ctx.projectVersion && tag !== ctx.projectVersion) {
        err(
          o,
          `image ${image}: k8s/base must tag the suite's version ${ctx.projectVersion} (top-level CMakeLists.txt project VERSION)`,
        );
      }
      if (production) {
        const version = o.metadata?.labels?.["app.kubernetes.io/version"];
        if (version === undefined) err(o, "has no app.kubernetes.io/version label (set with the image tag)");
        else if (tag !== version) {
          err(o, `image ${image}: tag ${tag ?? "(none)"} is not the version label ${version}; change both together`);
        }
      }
    }
  }

  // Deployments: autoscaling, disruption budget, shutdown and connection age.
  const deployments = byKind("Deployment");
  const hpas = byKind("HorizontalPodAutoscaler");
  const pdbs = byKind("PodDisruptionBudget");
  const targets = (hpa, d) => {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    return sameNs(hpa, d) && ref.apiVersion === "apps/v1" && ref.kind === "Deployment" && ref.name === d.metadata?.name;
  };
  for (const hpa of hpas) {
    if (hpa.apiVersion !== "autoscaling/v2") err(hpa, "must be autoscaling/v2");
    if (!deployments.some((d) => targets(hpa, d))) {
      err(hpa, "scaleTargetRef names no Deployment (apps/v1) of this entry point");
    }
  }
  for (const d of deployments) {
    const pod = podOf(d) ?? {};
    const podLabels = podLabelsOf(d);
    const owners = hpas.filter((h) => targets(h, d));
    if (owners.length !== 1) err(d, `is scaled by ${owners.length} HorizontalPodAutoscalers, expected exactly 1`);
    const hpa = owners[0];
    if (hpa) {
      if (d.spec?.replicas !== undefined) {
        err(
          d,
          `spec.replicas is set although HorizontalPodAutoscaler ${hpa.metadata?.name} owns the count ` +
            "(every apply would reset it): leave it out, and no kustomize replicas: either",
        );
      }
      const cpu = (hpa.spec?.metrics ?? []).some(
        (m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization" &&
          Number.isInteger(m.resource.target.averageUtilization) &&
          m.resource.target.averageUtilization >= 1 && m.resource.target.averageUtilization <= 100,
      );
      if (!cpu) {
        err(
          hpa,
          "needs a CPU utilisation target (type Resource, resource.name cpu, target.type Utilization, averageUtilization 1-100)",
        );
      }
      for (const c of pod.containers ?? []) {
        if (c.resources?.requests?.cpu === undefined) {
          err(
            hpa,
            `container ${c.name} of Deployment ${d.metadata?.name} has no resources.requests.cpu: CPU utilisation is measured against it`,
          );
        }
      }
      const min = hpa.spec?.minReplicas;
      const max = hpa.spec?.maxReplicas;
      if (!Number.isInteger(min) || min < 1) err(hpa, "minReplicas must be set (1 or more)");
      else if (!dev && min < 2) {
        err(
          hpa,
          `minReplicas ${min}: outside overlays/dev at least 2, so that a drain or a crash leaves a pod serving`,
        );
      }
      if (!(Number.isInteger(max) && max >= (min ?? 1))) {
        err(hpa, `maxReplicas ${max} must be at least minReplicas ${min}`);
      }
      const b = hpa.spec?.behavior;
      if (!b?.scaleUp || b?.scaleDown?.stabilizationWindowSeconds === undefined) {
        err(
          hpa,
          "behavior.scaleUp and behavior.scaleDown.stabilizationWindowSeconds must be set (documented per service)",
        );
      }
      const budgets = pdbs.filter(
        (p) => sameNs(p, d) && !selectorIsEmpty(p.spec?.selector) && selectorMatches(p.spec.selector, podLabels),
      );
      if (budgets.length === 0) err(d, "no PodDisruptionBudget selects its pods");
      for (const p of budgets) {
        if (!Number.isInteger(min)) continue;
        const allowed = pdbAllowedDisruptions(p, min);
        if (!(allowed >= 1)) err(p, `allows no eviction at the HPA's minReplicas ${min}: every node drain would block`);
        else if (!dev && min - allowed < 1) err(p, `lets all ${min} pods (minReplicas) go at once in a drain`);
      }
    }
    // Shutdown: preStop sleep, then SIGTERM and CAK_SHUTDOWN_GRACE of draining, all within
    // terminationGracePeriodSeconds (default 30); and the connection age of config/server.env.
    const tgps = pod.terminationGracePeriodSeconds ?? 30;
    for (const c of pod.containers ?? []) {
      const env = containerEnv(c, configMaps);
      const grace = durationSeconds(env.CAK_SHUTDOWN_GRACE ?? "20s");
      if (Number.isNaN(grace)) {
        err(d, `container ${c.name}: CAK_SHUTDOWN_GRACE ${JSON.stringify(env.CAK_SHUTDOWN_GRACE)} is not a duration`);
      } else if (!(tgps > preStopSeconds(c) + grace)) {
        err(
          d,
          `terminationGracePeriodSeconds ${tgps} must exceed the preStop sleep (${preStopSeconds(c)} s) + ` +
            `CAK_SHUTDOWN_GRACE (${grace} s) of container ${c.name}, or the kubelet kills calls still draining`,
        );
      }
      for (const [name, [lo, hi]] of Object.entries(CONNECTION_AGE_BOUNDS)) {
        if (env[name] === undefined) {
          err(d, `container ${c.name}: ${name} is not set (config/server.env sets it explicitly, with why)`);
          continue;
        }
        const s = durationSeconds(env[name]);
        if (Number.isNaN(s) || s < lo || s > hi) {
          err(d, `container ${c.name}: ${name}=${env[name]} is not a duration from ${lo} s to ${hi} s`);
        }
      }
    }
  }
  for (const p of pdbs) {
    if (!deployments.some((d) => sameNs(p, d) && selectorMatches(p.spec?.selector, podLabelsOf(d)))) {
      if (role !== "migrate") err(p, "selects no Deployment's pods");
    }
  }

  // PodMonitors: the servers' metrics port, by name.
  const podMonitors = objs.filter((o) => o.apiVersion === "monitoring.coreos.com/v1" && o.kind === "PodMonitor");
  const monitorNamespaces = (pm) =>
    pm.spec?.namespaceSelector?.any ? null : (pm.spec?.namespaceSelector?.matchNames ?? [pm.metadata?.namespace]);
  const scrapes = (pm, o) => {
    const nss = monitorNamespaces(pm);
    return (nss === null || nss.includes(o.metadata?.namespace)) && !selectorIsEmpty(pm.spec?.selector) &&
      selectorMatches(pm.spec.selector, podLabelsOf(o));
  };
  for (const pm of podMonitors) {
    const selected = podOwners.filter((o) => scrapes(pm, o));
    if (!selected.some((o) => o.kind === "Deployment")) err(pm, "selects no Deployment's pods in this entry point");
    for (const o of selected) {
      if (o.kind !== "Deployment") {
        err(
          pm,
          `selects the pods of ${o.kind} ${o.metadata?.name} too: only the servers are scraped (add app.kubernetes.io/component: api)`,
        );
        continue;
      }
      for (const ep of pm.spec?.podMetricsEndpoints ?? []) {
        const hit = (podOf(o)?.containers ?? [])
          .flatMap((c) => (c.ports ?? []).map((p) => ({ c, p })))
          .find(({ p }) => p.name === ep.port);
        if (!hit) {
          err(pm, `port ${JSON.stringify(ep.port)} is not a container port name of Deployment ${o.metadata?.name}`);
          continue;
        }
        const metricsPort = containerEnv(hit.c, configMaps).CAK_METRICS_PORT;
        if (metricsPort !== undefined && Number(metricsPort) !== hit.p.containerPort) {
          err(
            pm,
            `port ${ep.port} of Deployment ${o.metadata?.name} is ${hit.p.containerPort}, ` +
              `but the server listens for metrics on CAK_METRICS_PORT ${metricsPort}`,
          );
        }
      }
    }
  }
  if (podMonitors.length > 0 || (production && role !== "migrate")) {
    for (const d of deployments) {
      const n = podMonitors.filter((pm) => scrapes(pm, d)).length;
      if (n !== 1) {
        err(
          d,
          `is scraped by ${n} PodMonitors, expected 1${production ? " (overlays/production includes components/monitoring)" : ""}`,
        );
      }
    }
  }

  // Migration Jobs and the two plain-kubectl steps.
  const jobs = byKind("Job");
  if (role === "main") {
    for (const j of jobs) {
      err(
        j,
        "a Job in an overlay's main entry point: plain `kubectl apply` would start it together with the " +
          "Deployments (it belongs in <overlay>/migrate; components/without-migrations removes it)",
      );
    }
  }
  if (role === "migrate") {
    for (const o of objs) {
      if (!MIGRATE_KINDS.includes(o.kind)) {
        err(
          o,
          `a ${o.kind} in a migrate entry point, which renders only the migration Jobs and what they need ` +
            `(${MIGRATE_KINDS.join(", ")}): delete the kind in components/migrations-only`,
        );
      }
    }
    if (jobs.length === 0) err(null, "a migrate entry point that renders no Job");
  }
  const networkPolicies = byKind("NetworkPolicy");
  for (const j of jobs) {
    if (j.metadata?.labels?.["app.kubernetes.io/component"] !== "migration") continue;
    const a = j.metadata?.annotations ?? {};
    if (a["argocd.argoproj.io/hook"] !== "PreSync") {
      err(j, "lost its Argo CD hook annotation (argocd.argoproj.io/hook: PreSync)");
    }
    const helm = String(a["helm.sh/hook"] ?? "").split(",");
    if (!helm.includes("pre-install") || !helm.includes("pre-upgrade")) {
      err(j, "lost its Helm hook annotation (helm.sh/hook: pre-install,pre-upgrade)");
    }
    if (!containersOf(podOf(j)).some((c) => [...(c.command ?? []), ...(c.args ?? [])].includes("--migrate-only"))) {
      err(j, "a migration Job (component=migration) that does not run --migrate-only");
    }
    const letOut = networkPolicies.some(
      (np) => sameNs(np, j) && !selectorIsEmpty(np.spec?.podSelector) &&
        selectorMatches(np.spec.podSelector, podLabelsOf(j)) && (np.spec?.egress ?? []).length > 0,
    );
    if (!letOut) {
      err(j, "no NetworkPolicy of its own lets its pod out (under default-deny-all it could not reach PostgreSQL)");
    }
  }
  if (role === "complete") {
    for (const d of deployments) {
      const svc = serviceOf(d);
      const has = jobs.some(
        (j) =>
          sameNs(j, d) && serviceOf(j) === svc && j.metadata?.labels?.["app.kubernetes.io/component"] === "migration",
      );
      if (!has) err(d, `has no migration Job (app.kubernetes.io/name ${svc}, component migration) in this entry point`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------
// Policy of the entry points of one overlay together

const objectKey = (o) => `${o?.apiVersion} ${o?.kind} ${o?.metadata?.namespace ?? ""}/${o?.metadata?.name}`;

// JSON with sorted keys: equal objects give equal text.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isMap(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

// rendered: Map entry -> objects (entries that failed to render are absent, or null).
function overlayErrors(rendered, entries) {
  const errors = [];
  for (const main of entries.filter((e) => entryRole(e) === "main")) {
    const migrate = `${main}/migrate`;
    const hooks = `${main}/with-hooks`;
    if (!entries.includes(migrate)) {
      errors.push(`${main}: no ${migrate}: plain kubectl users could not run the migration Jobs first (k8s/README.md)`);
    }
    if (!entries.includes(hooks)) {
      errors.push(`${main}: no ${hooks}: Argo CD and Helm users would get no migration Jobs (k8s/README.md)`);
    }
    const m = rendered.get(main);
    const g = rendered.get(migrate);
    const h = rendered.get(hooks);
    if (!m || !g || !h) continue;
    const index = (objs) => new Map(objs.filter(isMap).map((o) => [objectKey(o), o]));
    const [M, G, H] = [index(m), index(g), index(h)];
    for (const [k, o] of H) {
      if (!M.has(k) && !G.has(k)) {
        errors.push(`${hooks}: ${k} is rendered by neither ${main} nor ${migrate}: plain kubectl users never apply it`);
      }
      for (const [e, X] of [[main, M], [migrate, G]]) {
        if (X.has(k) && canonical(X.get(k)) !== canonical(o)) {
          errors.push(
            `${e}: ${k} differs from the same object in ${hooks}${e === migrate && M.has(k) ? ` and ${main}` : ""}: ` +
              "the two kubectl steps would apply different versions of it",
          );
        }
      }
    }
    for (const [e, X] of [[main, M], [migrate, G]]) {
      for (const k of X.keys()) {
        if (!H.has(k)) errors.push(`${e}: ${k} is not rendered by ${hooks}: Argo CD / Helm users never apply it`);
      }
    }
  }
  errors.push(...localOverlayErrors(rendered));
  return errors;
}

// overlays/local is production on one machine under Podman (scripts/deploy-local.sh): each of
// its entry points renders the objects of production's same entry point, production's
// PodMonitors excepted, changed in two ways only (overlays/local/settings): every image tagged
// `local`, and hostAliases in the pod templates. Any other difference would make the local run
// prove less about production than it claims.
function localOverlayErrors(rendered) {
  const errors = [];
  const normalized = (obj, local, where) => {
    const o = structuredClone(obj);
    const pod = podOf(o);
    if (!pod) return o;
    if (local) delete pod.hostAliases;
    for (const c of containersOf(pod)) {
      const { name, tag } = parseImage(String(c.image ?? ""));
      if (local && tag !== "local") errors.push(`${where}: image ${c.image} is not tagged local (built by deploy-local)`);
      c.image = name;
    }
    return o;
  };
  for (const suffix of ["", "/migrate", "/with-hooks"]) {
    const [le, pe] = [`overlays/local${suffix}`, `overlays/production${suffix}`];
    const local = rendered.get(le);
    const prod = rendered.get(pe);
    if (!local || !prod) continue;
    const P = new Map(prod.filter(isMap).map((o) => [objectKey(o), o]));
    const L = new Map(local.filter(isMap).map((o) => [objectKey(o), o]));
    for (const [k, o] of L) {
      if (!P.has(k)) {
        errors.push(`${le}: ${k} is not rendered by ${pe}: the local deployment runs something production does not`);
      } else if (canonical(normalized(o, true, `${le}: ${k}`)) !== canonical(normalized(P.get(k), false, pe))) {
        errors.push(
          `${le}: ${k} differs from ${pe} in more than its image tag and hostAliases (overlays/local/settings)`,
        );
      }
    }
    for (const [k, o] of P) {
      if (!L.has(k) && o.kind !== "PodMonitor") {
        errors.push(`${le}: ${k} of ${pe} is not rendered: the local deployment leaves out part of production`);
      }
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

// Every object on its own, then the entry point's objects together.
async function checkEntry(objects, entry, ctx) {
  return [...(await checkObjects(objects, entry)), ...entryErrors(objects, entry, ctx).map((e) => `${entry}: ${e}`)];
}

// k8s/base and every kustomization below k8s/overlays, except components (kind: Component,
// which only other kustomizations include).
function entryPoints(k8sDir) {
  const entries = [];
  if (existsSync(path.join(k8sDir, "base", "kustomization.yaml"))) entries.push("base");
  const walk = (rel) => {
    const dir = path.join(k8sDir, rel);
    const file = path.join(dir, "kustomization.yaml");
    if (existsSync(file)) {
      let kind;
      try {
        kind = parseYaml(readFileSync(file, "utf8"))?.kind;
      } catch {
        kind = undefined; // kubectl kustomize reports the broken file
      }
      if (kind !== "Component") entries.push(rel);
    }
    for (const name of readdirSync(dir).sort()) {
      if (statSync(path.join(dir, name)).isDirectory()) walk(`${rel}/${name}`);
    }
  };
  if (existsSync(path.join(k8sDir, "overlays"))) {
    for (const name of readdirSync(path.join(k8sDir, "overlays")).sort()) {
      if (statSync(path.join(k8sDir, "overlays", name)).isDirectory()) walk(`overlays/${name}`);
    }
  }
  return entries;
}

// The suite's version: `project(<name> VERSION x.y.z ...)` of the top-level CMakeLists.txt.
function projectVersion(k8sDir) {
  const file = path.join(k8sDir, "..", "CMakeLists.txt");
  if (!existsSync(file)) return undefined;
  return /^\s*project\(\s*\S+\s+VERSION\s+([0-9][0-9A-Za-z.+-]*)/m.exec(readFileSync(file, "utf8"))?.[1];
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
  const ctx = { projectVersion: projectVersion(k8sDir) };
  const failures = [];
  if (!ctx.projectVersion) {
    failures.push(`no project(... VERSION x.y.z) in ${path.join(k8sDir, "..", "CMakeLists.txt")}`);
  }
  const rendered = new Map();
  let count = 0;
  for (const entry of entries) {
    let text;
    try {
      text = execFileSync(kubectl, ["kustomize", path.join(k8sDir, entry)], {
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
      objects = parseManifests(text, entry);
    } catch (err) {
      failures.push(`${entry}: ${err.message}`);
      continue;
    }
    if (objects.length === 0) failures.push(`${entry}: renders no objects`);
    count += objects.length;
    rendered.set(entry, objects);
    failures.push(...(await checkEntry(objects, entry, ctx)));
  }
  failures.push(...overlayErrors(rendered, entries));
  for (const f of failures) console.error(`  ${f}`);
  if (failures.length) {
    console.log(`k8s-validate: FAIL (${failures.length} problem(s) in ${entries.join(", ")})`);
    return 1;
  }
  console.log(
    `k8s-validate: OK (${count} objects from ${entries.length} entry points [${entries.join(", ")}], ` +
      `kubernetes-models schemas + PodMonitor shape, unknown fields rejected; policy ok: pods, images tagged ` +
      `(base ${ctx.projectVersion}, production pinned), HPAs, PDBs, PodMonitors, shutdown and connection age, ` +
      `migrate/main/with-hooks split; self-test ${self.cases} cases ok)`,
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

// A small suite that passes every entry-point rule: one service "t" in namespace "v".
function goodSuite() {
  const meta = (name, extra = {}) => ({
    name,
    namespace: "v",
    labels: { "app.kubernetes.io/name": "t", "app.kubernetes.io/version": "1.0.0", ...extra },
  });
  const podSecurity = { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } };
  const containerSecurity = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
  const resources = () => ({ requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } });
  const api = () => ({ "app.kubernetes.io/name": "t", "app.kubernetes.io/component": "api" });
  return {
    namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: "v" } },
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta("t"),
      automountServiceAccountToken: false,
    },
    networkPolicy: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta("t"),
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "t" } },
        policyTypes: ["Ingress", "Egress"],
        egress: [{ ports: [{ protocol: "TCP", port: 5432 }] }],
      },
    },
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("t-server-abc"),
      data: {
        CAK_METRICS_PORT: "9464",
        CAK_SHUTDOWN_GRACE: "20s",
        CAK_MAX_CONNECTION_AGE: "5m",
        CAK_MAX_CONNECTION_AGE_GRACE: "10m",
      },
    },
    deployment: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("t", { "app.kubernetes.io/component": "api" }),
      spec: {
        selector: { matchLabels: api() },
        template: {
          metadata: { labels: api() },
          spec: {
            serviceAccountName: "t",
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 35,
            securityContext: podSecurity,
            containers: [
              {
                name: "t",
                image: "registry.example/t:1.0.0",
                envFrom: [{ configMapRef: { name: "t-server-abc" } }],
                ports: [
                  { name: "grpc", containerPort: 50051 },
                  { name: "metrics", containerPort: 9464 },
                ],
                livenessProbe: { grpc: { port: 8081, service: "liveness" } },
                readinessProbe: { grpc: { port: 8081 } },
                lifecycle: { preStop: { exec: { command: ["/bin/sleep", "5"] } } },
                resources: resources(),
                securityContext: containerSecurity,
              },
            ],
          },
        },
      },
    },
    hpa: {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta("t"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "t" },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [
          { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
        ],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }] },
        },
      },
    },
    pdb: {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta("t"),
      spec: { maxUnavailable: 1, selector: { matchLabels: api() } },
    },
    podMonitor: {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: meta("t"),
      spec: {
        jobLabel: "app.kubernetes.io/name",
        selector: { matchLabels: api() },
        podMetricsEndpoints: [
          { port: "metrics", path: "/metrics", scheme: "http", interval: "30s", scrapeTimeout: "10s" },
        ],
      },
    },
    job: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        ...meta("t-migrate", { "app.kubernetes.io/component": "migration" }),
        annotations: { "argocd.argoproj.io/hook": "PreSync", "helm.sh/hook": "pre-install,pre-upgrade" },
      },
      spec: {
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "t", "app.kubernetes.io/component": "migration" } },
          spec: {
            restartPolicy: "Never",
            serviceAccountName: "t",
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [
              {
                name: "migrate",
                image: "registry.example/t:1.0.0",
                args: ["--migrate-only"],
                resources: resources(),
                securityContext: containerSecurity,
              },
            ],
          },
        },
      },
    },
  };
}

// The suite as the three entry points of an overlay render it.
const MIGRATE_PARTS = ["namespace", "serviceAccount", "networkPolicy", "job"];
const suiteComplete = (s = goodSuite()) => Object.values(s);
const suiteMain = (s = goodSuite()) => Object.entries(s).filter(([k]) => k !== "job").map(([, o]) => o);
const suiteMigrate = (s = goodSuite()) => MIGRATE_PARTS.map((k) => s[k]);
const without = (s, ...parts) => Object.entries(s).filter(([k]) => !parts.includes(k)).map(([, o]) => o);

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

  // Entry points: the objects an entry point renders, together (level "entry").
  const entryCase = (name, objects, entry, pattern, ctx = { projectVersion: "1.0.0" }) =>
    cases.push({ name, objects, entry, pattern, ctx, level: "entry" });
  const P = "overlays/production";
  entryCase("valid suite passes (with-hooks: everything, Jobs included)", suiteComplete(), `${P}/with-hooks`, null);
  entryCase("valid suite passes (base, tagged with the project version)", suiteComplete(), "base", null);
  entryCase("valid main entry point passes (no Jobs)", suiteMain(), P, null);
  entryCase("valid migrate entry point passes", suiteMigrate(), `${P}/migrate`, null);
  {
    const s = goodSuite();
    s.hpa.spec.minReplicas = 1;
    entryCase("minReplicas 1 is allowed in overlays/dev", suiteComplete(s), "overlays/dev/with-hooks", null);
  }
  entryCase("base: tag other than the CMake project version", suiteComplete(), "base", /suite's version 2\.0\.0/, {
    projectVersion: "2.0.0",
  });
  {
    const s = goodSuite();
    s.podMonitor.spec.podMetricEndpoints = s.podMonitor.spec.podMetricsEndpoints;
    delete s.podMonitor.spec.podMetricsEndpoints;
    expect("PodMonitor: unknown field", s.podMonitor, "base", /spec has unknown field "podMetricEndpoints"/);
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.podMetricsEndpoints[0].port = 9464;
    expect("PodMonitor: port by number", s.podMonitor, "base", /port must name the container port/);
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.selector = {};
    expect("PodMonitor: empty selector", s.podMonitor, "base", /selector is empty/);
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.podMetricsEndpoints[0].interval = "30 seconds";
    expect("PodMonitor: bad interval", s.podMonitor, "base", /interval must be a Prometheus duration/);
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.podMetricsEndpoints[0].port = "metricz";
    entryCase(
      "PodMonitor: port name not on the Deployment",
      suiteComplete(s),
      P + "/with-hooks",
      /port "metricz" is not a container port name/,
    );
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.podMetricsEndpoints[0].port = "grpc";
    entryCase(
      "PodMonitor: a port that is not CAK_METRICS_PORT",
      suiteComplete(s),
      `${P}/with-hooks`,
      /CAK_METRICS_PORT 9464/,
    );
  }
  {
    const s = goodSuite();
    s.podMonitor.spec.selector.matchLabels["app.kubernetes.io/name"] = "other";
    entryCase("PodMonitor: selects nothing", suiteComplete(s), `${P}/with-hooks`, /selects no Deployment's pods/);
  }
  {
    const s = goodSuite();
    delete s.podMonitor.spec.selector.matchLabels["app.kubernetes.io/component"];
    entryCase(
      "PodMonitor: selects Job pods too",
      suiteComplete(s),
      `${P}/with-hooks`,
      /selects the pods of Job t-migrate too/,
    );
  }
  entryCase("production without PodMonitors", without(goodSuite(), "podMonitor", "job"), P, /scraped by 0 PodMonitors/);
  {
    const s = goodSuite();
    delete s.podMonitor.metadata.namespace;
    entryCase(
      "object without the namespace",
      suiteComplete(s),
      `${P}/with-hooks`,
      /metadata\.namespace is undefined, not v/,
    );
  }
  entryCase(
    "Deployment without an HPA",
    without(goodSuite(), "hpa"),
    `${P}/with-hooks`,
    /scaled by 0 HorizontalPodAutoscalers/,
  );
  {
    const s = goodSuite();
    s.deployment.spec.replicas = 2;
    entryCase(
      "Deployment with replicas although an HPA owns it",
      suiteComplete(s),
      `${P}/with-hooks`,
      /spec\.replicas is set/,
    );
  }
  {
    const s = goodSuite();
    s.hpa.spec.metrics = [
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ];
    entryCase(
      "HPA without a CPU utilisation target",
      suiteComplete(s),
      `${P}/with-hooks`,
      /needs a CPU utilisation target/,
    );
  }
  {
    const s = goodSuite();
    delete s.deployment.spec.template.spec.containers[0].resources.requests.cpu;
    entryCase(
      "HPA on CPU, container without a CPU request",
      suiteComplete(s),
      `${P}/with-hooks`,
      /has no resources\.requests\.cpu: CPU utilisation/,
    );
  }
  {
    const s = goodSuite();
    s.hpa.spec.minReplicas = 1;
    entryCase("minReplicas 1 outside dev", suiteComplete(s), `${P}/with-hooks`, /minReplicas 1: outside overlays\/dev/);
  }
  {
    const s = goodSuite();
    s.hpa.spec.maxReplicas = 1;
    entryCase(
      "maxReplicas below minReplicas",
      suiteComplete(s),
      `${P}/with-hooks`,
      /maxReplicas 1 must be at least minReplicas 2/,
    );
  }
  {
    const s = goodSuite();
    delete s.hpa.spec.behavior;
    entryCase(
      "HPA without behaviour",
      suiteComplete(s),
      `${P}/with-hooks`,
      /behavior\.scaleUp and behavior\.scaleDown/,
    );
  }
  {
    const s = goodSuite();
    s.pdb.spec = { minAvailable: 2, selector: s.pdb.spec.selector };
    entryCase(
      "PDB that blocks drains at minReplicas",
      suiteComplete(s),
      `${P}/with-hooks`,
      /allows no eviction at the HPA's minReplicas 2/,
    );
  }
  entryCase(
    "Deployment without a PDB",
    without(goodSuite(), "pdb"),
    `${P}/with-hooks`,
    /no PodDisruptionBudget selects its pods/,
  );
  {
    const s = goodSuite();
    s.deployment.spec.template.spec.terminationGracePeriodSeconds = 25;
    entryCase(
      "grace period shorter than preStop + shutdown grace",
      suiteComplete(s),
      `${P}/with-hooks`,
      /terminationGracePeriodSeconds 25 must exceed/,
    );
  }
  {
    const s = goodSuite();
    delete s.configMap.data.CAK_MAX_CONNECTION_AGE;
    entryCase("connection age not set", suiteComplete(s), `${P}/with-hooks`, /CAK_MAX_CONNECTION_AGE is not set/);
  }
  {
    const s = goodSuite();
    s.configMap.data.CAK_MAX_CONNECTION_AGE_GRACE = "3h";
    entryCase(
      "connection age grace out of bounds",
      suiteComplete(s),
      `${P}/with-hooks`,
      /CAK_MAX_CONNECTION_AGE_GRACE=3h is not a duration from/,
    );
  }
  entryCase(
    "ConfigMap a pod references is missing",
    without(goodSuite(), "configMap"),
    `${P}/with-hooks`,
    /references ConfigMap t-server-abc/,
  );
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].image = "registry.example/t";
    expect("policy: untagged image outside production", d, "base", /has no tag or digest/);
  }
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].image = "registry.example/t:1.0.0@sha256:<digest>";
    expect("policy: digest placeholder", d, P, /digest must be sha256: and 64 hex digits/);
  }
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].image = `registry.example/t:1.0.0@sha256:${"ab".repeat(32)}`;
    expect("policy: tag and digest pass in production", d, P, null);
  }
  {
    const d = goodDeployment();
    d.spec.template.spec.containers[0].image = "registry.example/t:latest";
    expect("policy: latest in production", d, P, /is not pinned/);
  }
  {
    const s = goodSuite();
    s.deployment.metadata.labels["app.kubernetes.io/version"] = "1.0.1";
    entryCase(
      "production: tag other than the version label",
      suiteComplete(s),
      `${P}/with-hooks`,
      /tag 1\.0\.0 is not the version label 1\.0\.1/,
    );
  }
  {
    const s = goodSuite();
    s.job.spec.template.spec.containers[0].image = "registry.example/t:0.9.0";
    entryCase("one image per service", suiteComplete(s), "overlays/dev/with-hooks", /one build per service/);
  }
  entryCase("main entry point with a Job", suiteComplete(), P, /a Job in an overlay's main entry point/);
  entryCase(
    "migrate entry point with a Deployment",
    suiteComplete(),
    `${P}/migrate`,
    /a Deployment in a migrate entry point/,
  );
  entryCase("migrate entry point without Jobs", without(goodSuite(), "job"), "overlays/dev/migrate", /renders no Job/);
  entryCase(
    "migration Job without its ServiceAccount",
    without(goodSuite(), "serviceAccount", "podMonitor"),
    `${P}/migrate`,
    /runs as ServiceAccount t, which this entry point does not render/,
  );
  {
    const s = goodSuite();
    delete s.job.metadata.annotations["argocd.argoproj.io/hook"];
    entryCase(
      "migration Job without its Argo CD hook",
      suiteMigrate(s),
      `${P}/migrate`,
      /lost its Argo CD hook annotation/,
    );
  }
  {
    const s = goodSuite();
    s.job.metadata.annotations["helm.sh/hook"] = "pre-install";
    entryCase("migration Job without pre-upgrade", suiteMigrate(s), `${P}/migrate`, /lost its Helm hook annotation/);
  }
  {
    const s = goodSuite();
    entryCase(
      "migration Job without a NetworkPolicy",
      [s.namespace, s.serviceAccount, s.job],
      `${P}/migrate`,
      /no NetworkPolicy of its own lets its pod out/,
    );
  }
  entryCase(
    "complete entry point without the migration Job",
    without(goodSuite(), "job"),
    `${P}/with-hooks`,
    /has no migration Job/,
  );

  // The entry points of one overlay together (level "tree").
  const treeCase = (name, rendered, pattern) => cases.push({ name, rendered, pattern, level: "tree" });
  const tree = (main, migrate, hooks) =>
    new Map([
      [P, main],
      [`${P}/migrate`, migrate],
      [`${P}/with-hooks`, hooks],
    ]);
  treeCase("valid overlay: with-hooks = main + migrate", tree(suiteMain(), suiteMigrate(), suiteComplete()), null);
  {
    const s = goodSuite();
    const migrate = suiteMigrate(s).map((o) => structuredClone(o));
    migrate[1].metadata.labels.extra = "x";
    treeCase(
      "migrate renders a shared object differently",
      tree(suiteMain(s), migrate, suiteComplete(s)),
      /ServiceAccount v\/t differs from the same object/,
    );
  }
  {
    const s = goodSuite();
    treeCase(
      "with-hooks renders an object neither step applies",
      tree(without(s, "job", "pdb"), suiteMigrate(s), suiteComplete(s)),
      /PodDisruptionBudget v\/t is rendered by neither/,
    );
  }
  {
    // overlays/local = overlays/production with images tagged local and hostAliases.
    const localOf = (objs, change = () => {}) =>
      objs.map((obj) => {
        const o = structuredClone(obj);
        const pod = podOf(o);
        if (pod) {
          pod.hostAliases = [{ ip: "10.89.77.11", hostnames: ["t.v.svc"] }];
          for (const c of containersOf(pod)) c.image = `${parseImage(c.image).name}:local`;
        }
        change(o);
        return o;
      });
    const L = "overlays/local";
    const both = (change) =>
      new Map([
        ...tree(suiteMain(), suiteMigrate(), suiteComplete()),
        [L, localOf(suiteMain(), change)],
        [`${L}/migrate`, localOf(suiteMigrate(), change)],
        [`${L}/with-hooks`, localOf(suiteComplete(), change)],
      ]);
    treeCase("valid local overlay: production with tag local and hostAliases", both(), null);
    treeCase(
      "local overlay changes more than tag and hostAliases",
      both((o) => {
        if (o.kind === "Deployment") o.spec.template.spec.containers[0].resources.limits.memory = "9Gi";
      }),
      /overlays\/local: apps\/v1 Deployment .* differs from overlays\/production in more than/,
    );
    const untagged = both();
    untagged.get(L).find((o) => o.kind === "Deployment").spec.template.spec.containers[0].image = "registry.example/t:1.0.0";
    treeCase("local overlay image not tagged local", untagged, /is not tagged local/);
    const fewer = both();
    fewer.set(L, fewer.get(L).filter((o) => o.kind !== "PodDisruptionBudget"));
    treeCase("local overlay leaves out a production object", fewer, /PodDisruptionBudget .* is not rendered/);
  }
  treeCase(
    "overlay without a migrate entry point",
    new Map([[P, suiteMain()], [`${P}/with-hooks`, suiteComplete()]]),
    /no overlays\/production\/migrate/,
  );

  let failed = 0;
  for (const c of cases) {
    let errors;
    try {
      if (c.level === "entry") {
        errors = await checkEntry(c.objects, c.entry, c.ctx);
      } else if (c.level === "tree") {
        errors = overlayErrors(c.rendered, [...c.rendered.keys()]);
      } else {
        const objects = c.yamlText ? parseManifests(c.yamlText, "self-test") : [c.obj];
        errors = await checkObjects(objects, c.entry);
      }
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
