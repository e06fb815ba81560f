#!/usr/bin/env node
// Builds privmed's native kernels (native/, Node-API, C) with node-gyp. Run by
// `npm ci` (the "install" script) and `npm run build`. It NEVER fails: with no
// compiler, no Node headers on this machine or a failed build, it records why
// in native/build/status.json and exits 0; privmed then runs its WebAssembly
// kernels and its engine line says why. Nothing is downloaded: node-gyp gets
// a local nodedir, and the build is skipped when no local headers exist.
//   --force          rebuild even when the add-on is newer than its sources
//   PRIVMED_NATIVE=skip   do not build (the wasm engine runs)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native');
const build = join(dir, 'build');
const addon = join(build, 'Release', 'privmed_native.node');
const force = process.argv.includes('--force');

function record(ok, reason, log = '') {
  mkdirSync(build, { recursive: true });
  // A stale add-on from an earlier build must not run when this one failed.
  if (!ok) rmSync(addon, { force: true });
  writeFileSync(join(build, 'status.json'), JSON.stringify({ ok, reason, at: new Date().toISOString() }) + '\n');
  if (log) writeFileSync(join(build, 'build.log'), log);
  console.log(ok ? `privmed: native kernels built (${addon})` : `privmed: native kernels not built (${reason}); the WebAssembly kernels will run`);
  process.exit(0);
}

function works(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return readdirSync(dir).every((f) => !/\.(c|h|gyp)$/.test(f) || statSync(join(dir, f)).mtimeMs <= built);
}

/** node-gyp: the one npm passes to install scripts, else the one bundled with npm, else PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const file = candidates.find((p) => existsSync(p));
  if (file) return [process.execPath, file];
  return works('node-gyp', ['--version']) ? ['node-gyp'] : null;
}

/** Local Node headers: npm's nodedir, the prefix this node runs from, or node-gyp's cache. Never a download. */
function nodeDir() {
  const has = (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')) && existsSync(join(d, 'include', 'node', 'common.gypi'));
  const fromNpm = process.env.npm_config_nodedir;
  if (has(fromNpm)) return fromNpm;
  const prefix = join(dirname(process.execPath), '..');
  if (has(prefix)) return prefix;
  const version = process.version.slice(1);
  for (const cache of [process.env.npm_config_devdir, join(homedir(), '.cache', 'node-gyp'), join(homedir(), '.node-gyp')]) {
    if (cache && has(join(cache, version))) return join(cache, version);
  }
  return null;
}

if (process.env.PRIVMED_NATIVE === 'skip') record(false, 'PRIVMED_NATIVE=skip at install');
if (!force && upToDate()) {
  console.log('privmed: native kernels up to date');
  process.exit(0);
}
const cc = process.env.CC || 'cc';
if (!works(cc, ['--version'])) record(false, `no C compiler ('${cc}' not found)`);
const python = ['python3', 'python'].find((py) => works(py, ['--version']));
if (!python) record(false, 'node-gyp needs python3, which is not installed');
const gyp = nodeGyp();
if (!gyp) record(false, 'node-gyp not found (it comes with npm)');
const nodedir = nodeDir();
if (!nodedir) record(false, `no local Node ${process.version} headers (install the nodejs dev headers or set npm_config_nodedir); nothing is downloaded`);

const [cmd, ...pre] = gyp;
const r = spawnSync(cmd, [...pre, 'rebuild', '--release', `--nodedir=${nodedir}`, `--python=${python}`, `--directory=${dir}`], {
  encoding: 'utf8',
  timeout: 10 * 60_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
if (r.status !== 0 || !existsSync(addon)) {
  const lines = log.split('\n').map((l) => l.trim());
  const last = lines.find((l) => /\berror\b:/i.test(l)) ?? lines.filter((l) => /ERR!/.test(l)).pop() ?? (r.error ? String(r.error.message) : `exit ${r.status}`);
  record(false, `build failed: ${last.slice(0, 200)} (see native/build/build.log)`, log);
}
// Load it once here, so a broken binary is reported at install, not at first use.
const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)}).init(1)`], { encoding: 'utf8', timeout: 60_000 });
if (probe.status !== 0) record(false, `built, but it does not load: ${(probe.stderr || '').trim().split('\n')[0]}`, log);
record(true, 'built', log);
