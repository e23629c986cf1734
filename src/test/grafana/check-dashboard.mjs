// Offline check of the Grafana dashboard docs/grafana/lobbyhub.json against the types of the npm package
// @grafana/schema (it ships TypeScript types, no JSON schema):
//  1. the dashboard, without the import wrapper (__inputs, __requires), is written into a TypeScript file as a
//     literal of the schema's Dashboard type, each panel also as a Panel or RowPanel; the compiler fails on a
//     wrong type or a misspelt or misplaced field (excess-property check);
//  2. what the types cannot say: the import input DS_PROMETHEUS (a Prometheus data source) exists, and every
//     panel, query and variable uses it, so the dashboard imports into any Grafana; ids and refIds are unique;
//     every query has an expr; every $variable a query uses is a dashboard variable or one of Grafana's own.
// The queries themselves are run against a real Prometheus by DashboardQueriesIT.
//
// Usage: node check-dashboard.mjs <repository root> <directory with node_modules and tsc>
// Exits non-zero with one line per problem.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const [root, tools] = process.argv.slice(2);
if (!root || !tools) {
  console.error("usage: node check-dashboard.mjs <repository root> <tools directory>");
  process.exit(2);
}
const file = "docs/grafana/lobbyhub.json";
const problems = [];
const { __inputs: inputs, __requires: requires, ...dashboard } = JSON.parse(readFileSync(join(root, file), "utf8"));

// --- 2. What the types cannot say
const DS = "${DS_PROMETHEUS}";
const input = (inputs ?? []).find((i) => i.name === "DS_PROMETHEUS");
if (!input || input.type !== "datasource" || input.pluginId !== "prometheus") {
  problems.push(`${file}: no __inputs entry DS_PROMETHEUS of type datasource, pluginId prometheus`);
}
if (!(requires ?? []).some((r) => r.type === "datasource" && r.id === "prometheus")) {
  problems.push(`${file}: __requires does not name the prometheus data source`);
}
function checkDatasource(where, ds) {
  if (!ds || ds.type !== "prometheus" || ds.uid !== DS) {
    problems.push(`${where}: datasource must be {"type": "prometheus", "uid": "${DS}"}, is ${JSON.stringify(ds)}`);
  }
}
const variables = new Set(["__rate_interval", "__interval", "__range", "__interval_ms", "__range_s", "__range_ms"]);
for (const variable of dashboard.templating?.list ?? []) {
  variables.add(variable.name);
  if (variable.type === "query") checkDatasource(`variable ${variable.name}`, variable.datasource);
}
const panels = [];
for (const panel of dashboard.panels ?? []) {
  panels.push(panel);
  for (const nested of panel.panels ?? []) panels.push(nested);
}
const ids = new Set();
for (const panel of panels) {
  const where = `panel ${panel.id} "${panel.title}"`;
  if (ids.has(panel.id)) problems.push(`${where}: id used twice`);
  ids.add(panel.id);
  if (!panel.gridPos) problems.push(`${where}: no gridPos`);
  if (panel.type === "row") continue;
  checkDatasource(where, panel.datasource);
  if (!panel.targets?.length) problems.push(`${where}: no queries`);
  const refIds = new Set();
  for (const target of panel.targets ?? []) {
    const at = `${where} query ${target.refId}`;
    if (!target.refId || refIds.has(target.refId)) problems.push(`${at}: missing or repeated refId`);
    refIds.add(target.refId);
    checkDatasource(at, target.datasource);
    if (typeof target.expr !== "string" || !target.expr.trim()) {
      problems.push(`${at}: no expr`);
      continue;
    }
    for (const [, a, b, c] of target.expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) {
      const name = a ?? b ?? c;
      if (!variables.has(name)) problems.push(`${at}: unknown variable $${name}`);
    }
  }
}

// --- 1. Types, through the compiler
const literal = (value) => JSON.stringify(value, null, 2);
const lines = [
  `import type { Dashboard, Panel, RowPanel } from "@grafana/schema";`,
  `// ${file}`,
  `export const dashboard: Dashboard = ${literal(dashboard)};`,
  ...panels.map((panel, i) =>
    `// ${file}: panel ${panel.id} "${panel.title}"\nexport const panel${i}: ${panel.type === "row" ? "RowPanel" : "Panel"} = ${literal(panel)};`),
];
const tsFile = join(tools, "dashboard.ts");
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
    const at = Number((line.match(/\((\d+),\d+\)/) || [])[1] || 0);
    let owner = "?";
    for (let n = at - 1; n >= 0; n--) if (source[n]?.startsWith("// ")) { owner = source[n].slice(3); break; }
    problems.push(`${owner}: line ${at}: ${line.replace(/^.*error TS\d+: /, "")}`);
  }
  if (!problems.length) problems.push(`type check failed: ${out.trim()}`);
}

if (problems.length) {
  for (const problem of problems) console.error(`INVALID ${problem}`);
  process.exit(1);
}
const queries = panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0);
console.log(`${file} valid against @grafana/schema's Dashboard and Panel types: ${panels.length} panels, ${queries} queries, data source \${DS_PROMETHEUS}`);
