/** Starting privmed CLI child processes and following their output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** How to start the privmed CLI: the built file, or the TypeScript source through tsx. */
export function cliCommand(): { execPath: string; args: string[] } {
  const js = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  if (existsSync(js)) return { execPath: process.execPath, args: [js] };
  return { execPath: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('../cli/main.ts', import.meta.url))] };
}

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export function startCli(name: string, args: string[], onLine: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Child {
  const cli = cliCommand();
  const child = spawn(cli.execPath, [...cli.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, process: child, exited };
}

/**
 * The environment for `processes` privmed processes that compute at the same
 * time on this machine: the cores are shared out (PRIVMED_THREADS each), so
 * their thread pools do not fight over them. A PRIVMED_THREADS the user set wins.
 */
export function sharedCoresEnv(processes: number): NodeJS.ProcessEnv {
  if (process.env.PRIVMED_THREADS) return process.env;
  return { ...process.env, PRIVMED_THREADS: String(Math.max(1, Math.floor(availableParallelism() / Math.max(1, processes)))) };
}

/** Waits for a child to end; kills it after `ms`. */
export async function waitOrKill(child: Child, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      resolve(null);
    }, ms);
  });
  const code = await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  return code;
}
