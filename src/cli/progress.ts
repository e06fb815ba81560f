/**
 * Renders training events: a live progress bar with loss, throughput and ETA
 * on a terminal, one line per epoch otherwise, or JSON lines with --json.
 */
import type { TrainEvent } from '../training/events.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import { bar, formatDuration as fmtTime, StatusArea, type StatusStream } from './live/status-area.js';

export type Renderer = (e: TrainEvent) => void;

export function jsonRenderer(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Renderer {
  let last = 0;
  return (e) => {
    // Batch events are throttled to one per second so logs stay small.
    if (e.type === 'batch') {
      const now = Date.now();
      if (now - last < 1000 && e.step !== e.stepsPerEpoch) return;
      last = now;
    }
    out(JSON.stringify(e));
  };
}

/** The validation numbers of an epoch line: a classifier's AUC/MCC/accuracy, a segmenter's Dice per class. */
function valLine(v: ClassificationMetrics): string {
  const seg = v as unknown as { meanDice?: number; dice?: number[] };
  if (seg.meanDice !== undefined) return `val Dice ${seg.meanDice.toFixed(4)} (${(seg.dice ?? []).map((d) => d.toFixed(3)).join(' / ')})  `;
  return `val AUC ${v.auc.toFixed(4)} MCC ${v.mcc.toFixed(4)} acc ${v.accuracy.toFixed(4)}  `;
}

export function humanRenderer(stream: StatusStream = process.stderr, area = new StatusArea(stream)): Renderer {
  return (e) => {
    switch (e.type) {
      case 'start':
        area.line(
          `training: ${e.trainSize} images, ${e.valSize} for validation, ${e.stepsPerEpoch} steps/epoch, ${e.params.toLocaleString('en')} parameters` +
            (e.resumedFromEpoch ? `, resuming after epoch ${e.resumedFromEpoch}` : ''),
        );
        break;
      case 'batch':
        area.update(
          [`epoch ${e.epoch + 1} ${bar(e.step, e.stepsPerEpoch)} ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(1)} img/s ETA ${fmtTime(e.etaSec)}`],
          e.step === e.stepsPerEpoch,
        );
        break;
      case 'epoch':
        area.finish();
        area.line(
          `epoch ${e.epoch}/${e.epochs}  loss ${e.trainLoss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ` +
            valLine(e.val) +
            `${e.samplesPerSec.toFixed(1)} img/s  ${fmtTime(e.seconds)}${e.best ? '  *best' : ''}`,
        );
        break;
      case 'skip':
        area.line(`skipped ${e.item}: ${e.reason}`);
        break;
      case 'early-stop':
        area.line(`early stop after epoch ${e.epoch}: no improvement since epoch ${e.bestEpoch}`);
        break;
      case 'done':
        area.finish();
        area.line(`done in ${fmtTime(e.seconds)}; best epoch ${e.bestEpoch ?? '-'}`);
        break;
    }
  };
}
