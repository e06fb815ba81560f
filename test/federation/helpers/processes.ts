/**
 * Real child processes for federation tests: `node --import tsx entry.ts`,
 * with their stdout parsed into events, bounded waits, and kill -9.
 * Every child is registered so that a test's `after` can kill leftovers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
// Children run from the repository root so that `--import tsx` resolves.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const live = new Set<ChildProcess>();

export interface Child {
  name: string;
  process: ChildProcess;
  events: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first event (past or future) matching, or rejects after timeoutMs. */
  waitForEvent(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
  kill9(): Promise<void>;
}

export function spawnFixture(name: string, entry: 'coordinator-main.ts' | 'dp-node-main.ts' | 'hostile-coordinator-main.ts' | 'node-main.ts' | 'partial-uploader.ts' | 'secagg-node-main.ts', spec: unknown, dir: string): Child {
  const specFile = join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, entry), specFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
  });
  live.add(child);
  const events: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('EVENT ')) events.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
      else if (line.startsWith('RESULT ')) events.push({ type: 'RESULT', ...(JSON.parse(line.slice(7)) as object) });
    }
    for (const l of [...listeners]) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    if (process.env.PRIVMED_TEST_VERBOSE) process.stderr.write(`[${name}] ${text}`);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(child);
      for (const l of [...listeners]) l();
      resolve(signal ? null : code);
    }),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  return {
    name,
    process: child,
    events,
    stderr: () => stderr,
    exited,
    waitForEvent(match, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) return finish(() => resolve(found));
          if (hasExited) finish(() => reject(new Error(`${name} exited before ${what}; stderr:\n${stderr.slice(-2000)}`)));
        };
        const finish = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${stderr.slice(-2000)}`))),
          timeoutMs,
        );
        listeners.add(check);
        check();
        void exited.then(check);
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Kills every child still running (for `after` hooks). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

/** Waits for a child to exit, failing after timeoutMs. */
export async function exitCode(child: Child, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${child.name} did not exit within ${timeoutMs} ms; stderr:\n${child.stderr().slice(-2000)}`)), timeoutMs);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
