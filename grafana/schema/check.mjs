#!/usr/bin/env node
// Type-checks Grafana dashboards (JSON) against Grafana's published TypeScript schema, @grafana/schema, with tsc --strict:
// one pinned version per Grafana release line (package.json), each through its own tsconfig that maps '@grafana/schema'
// to that version. Every panel is checked against its plugin's generated options and field-config types, every
// override property against the field-config path it names (hts-types.ts says what is typed from Grafana's sources
// where the schema is open).
//
//   node grafana/schema/check.mjs                          # grafana/dashboards/*.json against every version
//   node grafana/schema/check.mjs --versions 11.6 DIR|FILE # other files, some versions
//
// Prints one line per error (file, panel, version, tsc's message) and exits 1 if there is any; 0 when all are clean.
// Needs `npm ci` in this folder first (tests/run.sh does it through deploy/local/install-deps.sh).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules');
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const prefix = 'grafana-schema-';
const allVersions = Object.keys(pkg.devDependencies).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));

const args = process.argv.slice(2);
let versions = allVersions;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--versions') {
    versions = args[++i].split(',');
  } else {
    inputs.push(args[i]);
  }
}
if (inputs.length === 0) {
  inputs.push(path.join(here, '..', 'dashboards'));
}
for (const v of versions) {
  if (!allVersions.includes(v)) {
    fail(`unknown version ${v} (package.json pins ${allVersions.join(', ')})`);
  }
  if (!fs.existsSync(path.join(modules, prefix + v))) {
    fail(`${path.join(modules, prefix + v)} is missing: run "npm ci" in ${here} (deploy/local/install-deps.sh does)`);
  }
}

const files = inputs.flatMap((p) =>
  fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f)) : [p]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hts-grafana-schema-'));
try {
  const results = await Promise.all(versions.map((v) => checkVersion(v)));
  const errors = results.flat();
  for (const e of errors) {
    console.log(e);
  }
  console.log(`${files.length} dashboards × ${versions.length} versions (@grafana/schema ${versions.map(installed).join(', ')}): ` +
    `${errors.length} errors`);
  process.exitCode = errors.length === 0 ? 0 : 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

function installed(v) {
  return JSON.parse(fs.readFileSync(path.join(modules, prefix + v, 'package.json'), 'utf8')).version;
}

function firstExisting(candidates) {
  return candidates.find((c) => fs.existsSync(c));
}

/** The generated types of a panel plugin ("state-timeline" → composable/statetimeline) in version v, and whether it has a FieldConfig. */
function panelModule(v, type) {
  const dist = path.join(modules, prefix + v, 'dist');
  const folder = type.replaceAll('-', '');
  for (const base of [path.join(dist, 'types', 'raw', 'composable', folder, 'panelcfg', 'x'), path.join(dist, 'esm', 'raw', 'composable', folder, 'panelcfg', 'x')]) {
    const file = fs.existsSync(base) ? fs.readdirSync(base).find((f) => f.endsWith('.d.ts')) : undefined;
    if (file) {
      const full = path.join(base, file);
      return { spec: full.slice(0, -'.d.ts'.length), fieldConfig: /export interface FieldConfig\b/.test(fs.readFileSync(full, 'utf8')) };
    }
  }
  return null;
}

async function checkVersion(v) {
  const dir = path.join(work, v);
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(here, 'hts-types.ts'), path.join(dir, 'hts-types.ts'));
  const index = firstExisting(['esm/index.d.ts', 'types/index.d.ts', 'index.d.ts'].map((f) => path.join(modules, prefix + v, 'dist', f)));
  const errors = [];
  const maps = {};
  const sources = [];
  for (const file of files) {
    const name = path.basename(file, '.json').replace(/[^A-Za-z0-9]/g, '_');
    const { text, panels, problems } = toTypeScript(v, JSON.parse(fs.readFileSync(file, 'utf8')));
    errors.push(...problems.map((p) => `${path.basename(file)} [${v}]: ${p}`));
    fs.writeFileSync(path.join(dir, `${name}.ts`), text);
    maps[`${name}.ts`] = { file: path.basename(file), panels };
    sources.push(`${name}.ts`);
  }
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true, types: [],
      paths: { '@grafana/schema': [index] },
    },
    files: ['hts-types.ts', ...sources],
  }, null, 2));
  const output = await run(process.execPath, [path.join(modules, 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json'), '--pretty', 'false']);
  for (const line of output.split('\n').filter((l) => l.trim().length > 0)) {
    const m = /^(?:.*[\\/])?([^\\/(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (!m || !maps[m[1]]) {
      if (/error TS/.test(line) || errors.length === 0) {
        errors.push(`[${v}] ${line}`);
      }
      continue;
    }
    const { file, panels } = maps[m[1]];
    const lineNo = Number(m[2]);
    const panel = panels.filter((p) => p.line <= lineNo).at(-1);
    errors.push(`${file} ${panel ? panel.label : 'dashboard'} [${v}] line ${lineNo}: ${m[4]}`);
  }
  return errors;
}

function run(command, argv) {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
}

/** The dashboard as TypeScript: each part `satisfies` its type, so excess-property checks apply to every object literal. */
function toTypeScript(v, dashboard) {
  const problems = [];
  const imports = new Map();
  const lines = [`import type * as H from './hts-types';`];
  const body = [];
  const panels = [];
  const json = (value, indent) => JSON.stringify(value, null, 2).replaceAll('\n', '\n' + ' '.repeat(indent));

  const { panels: panelList = [], annotations, templating, ...rest } = dashboard;
  body.push('const dashboard = {');
  for (const [key, value] of Object.entries(rest)) {
    body.push(`  ${JSON.stringify(key)}: ${json(value, 2)},`);
  }
  body.push('  "annotations": { "list": [');
  for (const a of annotations?.list ?? []) {
    body.push(`    ${json(a, 4)} satisfies ${a.builtIn ? 'H.BuiltInAnnotation' : 'H.InfluxAnnotation'},`);
  }
  body.push('  ] },');
  body.push('  "templating": { "list": [');
  for (const variable of templating?.list ?? []) {
    body.push(`    ${json(variable, 4)} satisfies H.Variable,`);
  }
  body.push('  ] },');
  body.push('  "panels": [');
  const all = panelList.flatMap((p) => (p.type === 'row' ? [p, ...(p.panels ?? [])] : [p]));
  for (const panel of all) {
    const label = `panel ${panel.id} '${panel.title}'`;
    let type = 'H.PanelOf<Record<string, never>, Record<string, never>, H.InfluxQuery>';
    if (panel.type !== 'row') {
      const module = panelModule(v, panel.type);
      if (!module) {
        problems.push(`${label}: no panel plugin "${panel.type}" in @grafana/schema ${v}`);
      } else {
        const alias = `P_${panel.type.replaceAll('-', '_')}`;
        imports.set(alias, module.spec);
        const query = panel.datasource?.type === 'prometheus' ? 'H.PromQuery' : 'H.InfluxQuery';
        type = `H.PanelOf<${alias}.Options, ${module.fieldConfig ? `${alias}.FieldConfig` : 'Record<string, never>'}, ${query}>`;
      }
    }
    panels.push({ label, offset: body.reduce((n, b) => n + b.split('\n').length, 0) });
    body.push(`    // ${label.replaceAll('\n', ' ')}`);
    body.push(`    ${json(panel, 4)} satisfies ${type},`);
  }
  body.push('  ],');
  body.push('} satisfies H.DashboardJson;');
  body.push('export default dashboard;');
  for (const [alias, spec] of imports) {
    lines.push(`import type * as ${alias} from ${JSON.stringify(spec)};`);
  }
  const headerLines = lines.length;
  return {
    text: [...lines, ...body, ''].join('\n'),
    panels: panels.map((p) => ({ label: p.label, line: headerLines + p.offset + 1 })),
    problems,
  };
}
