/** `privmed certs init|add-node`: the CA and certificates for mutual TLS between coordinator and nodes. */
import type { Command } from 'commander';
import { addNode, DEFAULT_VALID_DAYS, initPki } from '../../net/certs/pki-files.js';
import { PrivmedError } from '../../common/errors.js';

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new PrivmedError(`--days: expected a positive whole number, got '${value}'`);
  return n;
}

export function registerCertsCommand(program: Command): void {
  const certs = program.command('certs').description('certificates for mutual TLS between coordinator and nodes');

  certs
    .command('init')
    .description('create a CA, the coordinator certificate and one certificate per node')
    .requiredOption('--out <dir>', 'folder to write into')
    .requiredOption('--nodes <names>', 'comma-separated node names (each becomes a certificate CN)', list)
    .option('--hosts <names>', 'extra host names/IPs of the coordinator (127.0.0.1 and localhost are always included)', list, [])
    .option('--days <n>', 'validity in days', days, DEFAULT_VALID_DAYS)
    .option('--force', 'overwrite existing files')
    .action(async (o: { out: string; nodes: string[]; hosts: string[]; days: number; force?: boolean }) => {
      const result = await initPki({ outDir: o.out, nodes: o.nodes, hosts: o.hosts, validDays: o.days, force: o.force });
      process.stdout.write(
        [
          `CA:          ${result.paths.caCert} (key ${result.paths.caKey}: keep it offline, it can admit new nodes)`,
          `coordinator: ${result.paths.coordinatorCert}, ${result.paths.coordinatorKey}`,
          ...Object.entries(result.nodes).map(([n, p]) => `node ${n}: ${p.cert}, ${p.key}`),
          'Give each node its own certificate and key plus ca.crt; put the node names into the coordinator\'s allowedNodes.',
        ].join('\n') + '\n',
      );
    });

  certs
    .command('add-node')
    .description('issue a certificate for one more node with an existing CA')
    .requiredOption('--dir <dir>', 'folder created by certs init')
    .requiredOption('--name <name>', 'node name (certificate CN)')
    .option('--days <n>', 'validity in days', days, DEFAULT_VALID_DAYS)
    .option('--force', 'overwrite existing files')
    .action(async (o: { dir: string; name: string; days: number; force?: boolean }) => {
      const p = await addNode(o.dir, o.name, { validDays: o.days, force: o.force });
      process.stdout.write(`node ${o.name}: ${p.cert}, ${p.key}\nAdd '${o.name}' to the coordinator's allowedNodes.\n`);
    });
}
