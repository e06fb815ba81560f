import type { Command } from 'commander';
import { loadYamlConfig } from '../../common/config-file.js';
import { TrainConfigSchema } from '../../site/train-config.js';
import { runTraining } from '../../site/run-local.js';
import { runSegmentationTraining } from '../../site/run-segmentation.js';
import type { TrainListener } from '../../training/events.js';
import type { SegmentationMetrics } from '../../metrics/segmentation.js';
import { formatSegmentation, segmentationJson } from './segmentation-output.js';
import { formatSitePrivacy, sitePrivacySummary } from '../../site/privacy-summary.js';
import { formatMetrics, printJson } from '../output.js';
import { humanRenderer, jsonRenderer } from '../progress.js';

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a classifier, or a U-Net with task: segmentation, locally from a YAML config (see docs/configuration.md, docs/segmentation.md)')
    .requiredOption('--config <file>', 'run configuration (YAML)')
    .option('--resume', 'continue from the last checkpoint in the output folder', false)
    .option('--json', 'print JSON lines instead of a progress bar', false)
    .action(async (opts: { config: string; resume: boolean; json: boolean }) => {
      const cfg = loadYamlConfig(TrainConfigSchema, opts.config);
      const render = opts.json ? jsonRenderer() : humanRenderer();
      if (cfg.task === 'segmentation') {
        const seg = await runSegmentationTraining(cfg, {
          resume: opts.resume,
          onEvent: render as unknown as TrainListener<SegmentationMetrics>,
          onBackend: (line) => (opts.json ? printJson({ type: 'backend', backend: line }) : process.stderr.write(line + '\n')),
          onPrivacy: (e) => (opts.json ? printJson(e) : process.stderr.write(e.message + '\n')),
        });
        if (opts.json) printJson({ type: 'test', model: seg.modelDir, splits: seg.cases, ...segmentationJson(seg.test, seg.classes), ...(seg.privacy ? { privacy: seg.privacy } : {}) });
        else {
          console.log(`${formatSegmentation(seg.test, seg.classes)}\nmodel saved to ${seg.modelDir}`);
          if (seg.privacy) console.log(`privacy: epsilon ${seg.privacy.epsilon.toFixed(3)} at delta ${seg.privacy.delta} (${seg.privacy.accountant} accountant, noise multiplier ${seg.privacy.noiseMultiplier.toFixed(4)}); ledger ${seg.privacy.ledger}`);
        }
        return;
      }
      const out = await runTraining(cfg, {
        resume: opts.resume,
        onEvent: render,
        onBackend: (line) => (opts.json ? printJson({ type: 'backend', backend: line }) : process.stderr.write(line + '\n')),
        onPrivacy: (e) => (opts.json ? printJson(e) : process.stderr.write(e.message + '\n')),
      });
      if (opts.json) printJson({ type: 'test', model: out.modelDir, ...out.test, ...(out.privacy ? { privacy: out.privacy } : {}) });
      else {
        console.log(`${formatMetrics(out.test, out.classes)}\nmodel saved to ${out.modelDir}`);
        if (out.privacy) {
          const p = out.privacy;
          console.log(`privacy: epsilon ${p.epsilon.toFixed(3)} at delta ${p.delta} (${p.accountant} accountant, noise multiplier ${p.noiseMultiplier.toFixed(4)})${p.stoppedByBudget ? ', stopped by the budget' : ''}; ledger ${p.ledger} (privmed privacy report --ledger ${p.ledger})`);
          const spent = sitePrivacySummary(p.ledger, p.site, p.delta, p.accountant);
          if (spent) console.log(`privacy, by the ledger: ${formatSitePrivacy(spent)}`);
        }
      }
    });
}
