// Offline check of everything a user applies to Kubernetes: the generated manifests
// (target/kubernetes/kubernetes.yml), the Helm chart (target/helm/kubernetes/lobbyhub) rendered with its
// default values, with cluster-mode values and with its PrometheusRule on, and the examples in docs/kubernetes/.
//
// Two checks per object, both against the Kubernetes API types of the npm package kubernetes-models (custom
// resources: the package of their API group, CRD_PACKAGES, e.g. @kubernetes-models/prometheus-operator):
//  1. its JSON schema (types, required fields, formats) through Model.validate();
//  2. unknown fields: the schemas accept any extra field, so every object is also written into a
//     TypeScript file as a literal of its API type; the compiler's excess-property check fails on a
//     misspelt or misplaced field, which the API server would silently drop.
//
// Usage: node validate-manifests.mjs <repository root> <directory with node_modules and tsc>
// Exits non-zero with one line per problem.
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [root, tools] = process.argv.slice(2);
if (!root || !tools) {
  console.error("usage: node validate-manifests.mjs <repository root> <tools directory>");
  process.exit(2);
}
const require = createRequire(join(tools, "node_modules", "noop.js"));
const YAML = require("yaml");
const Ajv = require("ajv");

const problems = [];
const objects = []; // { source, doc }

function addYaml(source, text) {
  for (const document of YAML.parseAllDocuments(text)) {
    if (document.errors.length) {
      problems.push(`${source}: YAML: ${document.errors[0].message}`);
      continue;
    }
    const doc = document.toJS();
    if (doc != null) objects.push({ source, doc });
  }
}

// --- Helm rendering: the chart uses three template forms only, so a small renderer suffices; anything
// else in a template is reported instead of guessed at.
function lookup(values, path) {
  let value = values;
  for (const key of path.split(".").filter(Boolean)) {
    if (value == null || typeof value !== "object" || !(key in value)) throw new Error(`no value .Values.${path}`);
    value = value[key];
  }
  return value;
}

// Blocks, innermost first: {{- range $k, $v := .Values.x }}…{{- end }} (a missing map ranges over nothing) and
// {{- if .Values.x }}…{{- end }}; raw strings {{`…`}} are kept out of the way and put back last.
function render(template, values, source) {
  const raws = [];
  let text = template.replace(/\{\{`([\s\S]*?)`\}\}/g, (match, raw) => `\u0000${raws.push(raw) - 1}\u0000`);
  const block = /\{\{-?\s*(if|range)\s+([^}]*?)\s*-?\}\}((?:(?!\{\{-?\s*(?:if|range|end)\b)[\s\S])*)\{\{-?\s*end\s*-?\}\}/;
  for (let m; (m = text.match(block));) {
    const [whole, kind, head, body] = m;
    let out;
    let h;
    if (kind === "if" && (h = head.match(/^\.Values\.([\w.]+)$/))) {
      out = lookup(values, h[1]) ? body : "";
    } else if (kind === "range" && (h = head.match(/^\$(\w+), \$(\w+) := \.Values\.([\w.]+)$/))) {
      let map;
      try {
        map = lookup(values, h[3]) ?? {};
      } catch {
        map = {};
      }
      out = Object.entries(map).map(([key, value]) => body
        .replace(new RegExp(`\\{\\{\\s*\\$${h[1]}\\s*\\}\\}`, "g"), key)
        .replace(new RegExp(`\\{\\{\\s*\\$${h[2]} \\| quote\\s*\\}\\}`, "g"), JSON.stringify(String(value)))).join("");
    } else {
      throw new Error(`${source}: template construct not understood by this check: {{ ${kind} ${head} }}`);
    }
    text = text.slice(0, m.index) + out + text.slice(m.index + whole.length);
  }
  return renderValues(text, values, source).replace(/\u0000(\d+)\u0000/g, (match, i) => raws[Number(i)]);
}

function renderValues(template, values, source) {
  return template.replace(/(\s*)\{\{(-?)\s*(.*?)\s*(-?)\}\}/g, (match, space, trimLeft, body) => {
    const lead = trimLeft ? "" : space;
    let m;
    if ((m = body.match(/^\.Values\.([\w.]+)$/))) {
      const value = lookup(values, m[1]);
      if (value !== null && typeof value === "object") throw new Error(`${source}: .Values.${m[1]} is not a scalar`);
      return lead + String(value);
    }
    if ((m = body.match(/^\.Values\.([\w.]+) \| quote$/))) {
      return lead + JSON.stringify(String(lookup(values, m[1])));
    }
    if ((m = body.match(/^toYaml \.Values\.([\w.]+) \| nindent (\d+)$/))) {
      const pad = " ".repeat(Number(m[2]));
      const text = YAML.stringify(lookup(values, m[1])).trimEnd();
      return lead + "\n" + text.split("\n").map((line) => pad + line).join("\n");
    }
    throw new Error(`${source}: template construct not understood by this check: ${match.trim()}`);
  });
}

function deepMerge(base, override) {
  const out = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    out[key] = value && typeof value === "object" && !Array.isArray(value) && out[key] && typeof out[key] === "object"
      ? deepMerge(out[key], value)
      : value;
  }
  return out;
}

function renderChart(chartDir, name, overrides) {
  const values = deepMerge(YAML.parse(readFileSync(join(chartDir, "values.yaml"), "utf8")), overrides);
  const schemaFile = join(chartDir, "values.schema.json");
  if (existsSync(schemaFile)) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
    delete schema.$schema;
    const check = ajv.compile(schema);
    if (!check(values)) problems.push(`chart values (${name}): ${ajv.errorsText(check.errors)}`);
  }
  const templates = join(chartDir, "templates");
  for (const file of readdirSync(templates).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort()) {
    const source = `${relative(root, join(templates, file))} (${name})`;
    try {
      addYaml(source, render(readFileSync(join(templates, file), "utf8"), values, source));
    } catch (e) {
      problems.push(e.message);
    }
  }
}

// --- What is checked
const manifests = join(root, "target/kubernetes/kubernetes.yml");
const chart = join(root, "target/helm/kubernetes/lobbyhub");
for (const required of [manifests, join(chart, "Chart.yaml")]) {
  if (!existsSync(required)) {
    console.error(`missing ${relative(root, required)}: run ./mvnw package first`);
    process.exit(2);
  }
}
addYaml(relative(root, manifests), readFileSync(manifests, "utf8"));
renderChart(chart, "default values", {});
renderChart(chart, "cluster values", {
  app: {
    replicas: 3,
    image: "registry.example.com/studio/lobbyhub:1.0.0",
    secretName: "lobbyhub-prod",
    envs: { LOBBYHUB_CLUSTER_ENABLED: "true", LOBBYHUB_LIMITS_MAX_CONNECTIONS: "15000", LOBBYHUB_LIMITS_MAX_PER_LOBBY: "8" },
    resources: { requests: { cpu: "500m", memory: "768Mi" }, limits: { memory: "768Mi" } },
  },
});
renderChart(chart, "prometheusRule values", {
  prometheusRule: { enabled: true, labels: { release: "kube-prometheus-stack" } },
});
// The chart's PrometheusRule: only when asked for, and the very rules of docs/prometheus/lobbyhub-rules.yaml.
const rules = YAML.parse(readFileSync(join(root, "docs/prometheus/lobbyhub-rules.yaml"), "utf8"));
for (const name of ["default values", "cluster values", "prometheusRule values"]) {
  const found = objects.filter((o) => o.source.endsWith(`(${name})`) && o.doc.kind === "PrometheusRule");
  const wanted = name === "prometheusRule values" ? 1 : 0;
  if (found.length !== wanted) problems.push(`chart (${name}): ${found.length} PrometheusRule objects, expected ${wanted}`);
  for (const { source, doc } of found) {
    if (JSON.stringify(doc.spec) !== JSON.stringify(rules)) {
      problems.push(`${source}: PrometheusRule spec differs from docs/prometheus/lobbyhub-rules.yaml`);
    }
    if (doc.metadata?.labels?.release !== "kube-prometheus-stack") {
      problems.push(`${source}: PrometheusRule without the labels of prometheusRule.labels`);
    }
  }
}
const examples = join(root, "docs/kubernetes");
if (existsSync(examples)) {
  for (const file of readdirSync(examples).filter((f) => f.endsWith(".yaml")).sort()) {
    addYaml(relative(root, join(examples, file)), readFileSync(join(examples, file), "utf8"));
  }
}

// --- 1. Schemas
// Custom resources the chart may hold, by API group: the npm package with their types.
const CRD_PACKAGES = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  if (group && CRD_PACKAGES[group]) return `${CRD_PACKAGES[group]}/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`;
}

const typed = [];
for (const { source, doc } of objects) {
  const label = `${source}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}`;
  if (!doc.apiVersion || !doc.kind) {
    problems.push(`${label}: no apiVersion or kind`);
    continue;
  }
  const module = modulePath(doc.apiVersion, doc.kind);
  let Model;
  try {
    // kubernetes-models is CommonJS; the CRD packages are ES modules only, imported from the tools directory.
    Model = CRD_PACKAGES[doc.apiVersion.split("/")[0]]
      ? (await import(pathToFileURL(join(tools, "node_modules", `${module}.js`)).href))[doc.kind]
      : require(module)[doc.kind];
    if (!Model) throw new Error(`no ${doc.kind}`);
  } catch {
    problems.push(`${label}: ${doc.apiVersion} ${doc.kind} is not a Kubernetes API type`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problems.push(`${label}: ${e.message}`);
  }
  typed.push({ label, module, kind: doc.kind, doc });
}

// --- 2. Unknown fields, through the compiler
const lines = typed.map(({ label, module, kind, doc }, i) =>
  `// ${label}\nexport const object${i}: import(${JSON.stringify(module)}).I${kind} = ${JSON.stringify(doc, null, 2)};`);
const tsFile = join(tools, "manifests.ts");
writeFileSync(tsFile, lines.join("\n\n") + "\n");
try {
  execFileSync(join(tools, "node_modules/.bin/tsc"), [
    "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler",
    tsFile,
  ], { cwd: tools, encoding: "utf8", stdio: "pipe" });
} catch (e) {
  const out = (e.stdout || "") + (e.stderr || "");
  const source = readFileSync(tsFile, "utf8").split("\n");
  for (const line of out.split("\n").filter((l) => l.includes("error TS"))) {
    // Name the object the error is in: the nearest "// <label>" line above the error's line.
    const at = Number((line.match(/\((\d+),\d+\)/) || [])[1] || 0);
    let owner = "?";
    for (let n = at - 1; n >= 0; n--) if (source[n]?.startsWith("// ")) { owner = source[n].slice(3); break; }
    problems.push(`${owner}: ${line.replace(/^.*error TS\d+: /, "")}`);
  }
  if (!problems.length) problems.push(`type check failed: ${out.trim()}`);
}

if (problems.length) {
  for (const problem of problems) console.error(`INVALID ${problem}`);
  process.exit(1);
}
console.log(`${objects.length} Kubernetes objects valid (schemas and field names): ` +
  [...new Set(objects.map((o) => o.source))].join(", "));
