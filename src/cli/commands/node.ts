import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadYamlConfig } from '../../common/config-file.js';
import { NodeConfigSchema } from '../../federation/node/config.js';
import { runNode } from '../../federation/node/run-node.js';
import { openSite } from '../../site/open-site.js';
import { SiteSchema } from '../../site/site-config.js';
import { formatSitePrivacy, sitePrivacySummary } from '../../site/privacy-summary.js';
import { eventLine, type ChildEvent } from '../../simulation/event-lines.js';
import { observedTrainer } from '../live/observed-trainer.js';

/** node.yaml: `node:` (how to reach the coordinator, TLS) and `site:` (data, model, local training). */
export const NodeJobSchema = z.strictObject({ node: NodeConfigSchema, site: SiteSchema.prefault({}) });

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run a hospital node: trains on local data, sends only weights and aggregate metrics')
    .requiredOption('--config <file>', 'node configuration (YAML)')
    .option('--events', 'also print events as JSON lines on stdout (for privmed simulate\'s live view)', false)
    .action(async (opts: { config: string; events: boolean }) => {
      const job = loadYamlConfig(NodeJobSchema, opts.config);
      const site = await openSite(job.site, { nodeName: job.node.name, dir: dirname(resolve(opts.config)) });
      process.stderr.write(`privmed node ${job.node.name}: ${site.backend}; ${site.train.length} training and ${site.val.length} validation images (they stay here)\n`);
      const emit = opts.events ? (e: ChildEvent) => void process.stdout.write(eventLine(e) + '\n') : null;
      emit?.({ type: 'site-opened', trainImages: site.train.length, valImages: site.val.length });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const trainer = emit ? observedTrainer(site.trainer, emit) : site.trainer;
      // Protocol state (CKKS keys, the decoded global model) beside the config, in a folder named like the node.
      const stateDir = join(dirname(resolve(opts.config)), job.node.name);
      const result = await runNode(job.node, trainer, { signal: abort.signal, onEvent: emit ?? undefined, stateDir });
      process.stderr.write(`privmed node ${job.node.name}: ${result.message} (${result.fitsSubmitted} updates, ${result.evaluationsSubmitted} evaluations)\n`);
      const p = site.privacy;
      const spent = p ? sitePrivacySummary(p.ledger, p.site, p.privacy.delta, p.privacy.accountant) : null;
      if (spent) process.stderr.write(`privmed node ${job.node.name}: privacy (by the ledger ${p!.ledger}): ${formatSitePrivacy(spent)}\n`);
    });
}
