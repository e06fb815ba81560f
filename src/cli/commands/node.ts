import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadYamlConfig } from '../../common/config-file.js';
import { NodeConfigSchema } from '../../federation/node/config.js';
import { runNode } from '../../federation/node/run-node.js';
import { openSite } from '../../site/open-site.js';
import { SiteSchema } from '../../site/site-config.js';

/** node.yaml: `node:` (how to reach the coordinator, TLS) and `site:` (data, model, local training). */
export const NodeJobSchema = z.strictObject({ node: NodeConfigSchema, site: SiteSchema.prefault({}) });

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run a hospital node: trains on local data, sends only weights and aggregate metrics')
    .requiredOption('--config <file>', 'node configuration (YAML)')
    .action(async (opts: { config: string }) => {
      const job = loadYamlConfig(NodeJobSchema, opts.config);
      const site = await openSite(job.site, { nodeName: job.node.name, dir: dirname(resolve(opts.config)) });
      process.stderr.write(`privmed node ${job.node.name}: ${site.backend}; ${site.train.length} training and ${site.val.length} validation images (they stay here)\n`);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const result = await runNode(job.node, site.trainer, { signal: abort.signal });
      process.stderr.write(`privmed node ${job.node.name}: ${result.message} (${result.fitsSubmitted} updates, ${result.evaluationsSubmitted} evaluations)\n`);
    });
}
