/**
 * Renders training events: a live progress bar with loss, throughput and ETA
 * on a terminal, one line per epoch otherwise, or JSON lines with --json.
 */
import type { TrainEvent } from '../training/events.js';

export type Renderer = (e: TrainEvent) => void;

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

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

export function humanRenderer(stream: NodeJS.WriteStream = process.stderr): Renderer {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  return (e) => {
    switch (e.type) {
      case 'start':
        stream.write(
          `training: ${e.trainSize} images, ${e.valSize} for validation, ${e.stepsPerEpoch} steps/epoch, ${e.params.toLocaleString('en')} parameters` +
            (e.resumedFromEpoch ? `, resuming after epoch ${e.resumedFromEpoch}` : '') +
            '\n',
        );
        break;
      case 'batch': {
        if (!tty) return;
        const now = Date.now();
        if (now - lastDraw < 100 && e.step !== e.stepsPerEpoch) return;
        lastDraw = now;
        const width = 24;
        const filled = Math.round((e.step / e.stepsPerEpoch) * width);
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(
          `\repoch ${e.epoch + 1} [${bar}] ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(1)} img/s ETA ${fmtTime(e.etaSec)}\x1b[K`,
        );
        break;
      }
      case 'epoch':
        if (tty) stream.write('\r\x1b[K');
        stream.write(
          `epoch ${e.epoch}/${e.epochs}  loss ${e.trainLoss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ` +
            `val AUC ${e.val.auc.toFixed(4)} MCC ${e.val.mcc.toFixed(4)} acc ${e.val.accuracy.toFixed(4)}  ` +
            `${e.samplesPerSec.toFixed(1)} img/s  ${fmtTime(e.seconds)}${e.best ? '  *best' : ''}\n`,
        );
        break;
      case 'skip':
        stream.write(`${tty ? '\r\x1b[K' : ''}skipped ${e.item}: ${e.reason}\n`);
        break;
      case 'early-stop':
        stream.write(`early stop after epoch ${e.epoch}: no improvement since epoch ${e.bestEpoch}\n`);
        break;
      case 'done':
        stream.write(`done in ${fmtTime(e.seconds)}; best epoch ${e.bestEpoch ?? '-'}\n`);
        break;
    }
  };
}
