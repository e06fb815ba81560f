import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadYamlConfig } from '../../common/config-file.js';
import { SimulationSchema, type SimulationConfig } from '../../simulation/config.js';
import { simulate, type SimulationResult } from '../../simulation/simulate.js';
import { liveFederationFor, liveSimulationOptions, simulationView, type LiveFederation } from '../live/live-federation.js';
import { formatMetrics, printJson } from '../output.js';
import { formatSitePrivacy } from '../../site/privacy-summary.js';
import { formatSegmentation, segmentationJson } from './segmentation-output.js';

export function printSimulationResult(r: SimulationResult, json: boolean, out: (line: string) => void = (l) => console.log(l)): void {
  if (json) {
    printJson({ type: 'result', status: r.status, bestRound: r.bestRound, seconds: r.seconds, model: r.modelDir, test: r.test, ...(r.segmentation ? { segmentation: segmentationJson(r.segmentation, r.classes) } : {}), ...(r.privacy ? { privacy: r.privacy } : {}) });
    return;
  }
  out(`federation ${r.status}; best round ${r.bestRound ?? '-'}; ${r.seconds.toFixed(0)} s`);
  if (r.test) out(formatMetrics(r.test, r.classes));
  if (r.segmentation) out(formatSegmentation(r.segmentation, r.classes));
  if (r.privacy) {
    out(`privacy, by each hospital's own ledger (max epsilon ${Math.max(...r.privacy.map((p) => Number(p.epsilon.toPrecision(4))))}):`);
    for (const p of r.privacy) out(`  ${formatSitePrivacy(p)}`);
  }
  out(`global model saved to ${r.modelDir}`);
}

/**
 * Runs a simulation for a command: on a terminal with the live view (the log
 * in <output>/<logName>), elsewhere printing the log lines as `onLine` says.
 * `header` is the command's opening line, kept on screen and in the log.
 */
export async function runSimulation(
  cfg: SimulationConfig,
  o: { json: boolean; logName: string; header?: string; onLine?: (source: string, line: string) => void },
): Promise<void> {
  const live: LiveFederation | null = liveFederationFor(process.stderr, o.json, join(resolve(cfg.output), o.logName), simulationView(cfg));
  if (!live) {
    if (o.header) process.stderr.write(o.header + '\n');
    printSimulationResult(await simulate(cfg, { onLine: o.onLine }), o.json);
    return;
  }
  if (o.header) live.print(o.header);
  live.start();
  try {
    const result = await simulate(cfg, liveSimulationOptions(live));
    live.finish();
    printSimulationResult(result, false, (line) => {
      console.log(line);
      live.log(line);
    });
  } finally {
    live.close();
  }
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a federation on this machine: a coordinator and one node process per site, over mutual TLS on loopback')
    .requiredOption('--config <file>', 'simulation configuration (YAML)')
    .option('--verbose-nodes', 'also print the nodes\' log lines (on a terminal they are always in the log file)', false)
    .option('--json', 'print the result as JSON', false)
    .action(async (opts: { config: string; verboseNodes: boolean; json: boolean }) => {
      const cfg = loadYamlConfig(SimulationSchema, opts.config);
      await runSimulation(cfg, {
        json: opts.json,
        logName: 'simulate.log',
        onLine: (source, line) => (source === 'coordinator' || opts.verboseNodes) && process.stderr.write(line + '\n'),
      });
    });
}
