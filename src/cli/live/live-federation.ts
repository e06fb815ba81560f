/**
 * A federation on a terminal: the live view in a status area, the rounds'
 * results and any trouble as permanent lines above it, and every log line
 * the processes print in a log file (named at the start and at the end).
 * Off a terminal, or with --json, callers keep printing the log as before.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CoordinatorEvent } from '../../federation/coordinator/events.js';
import type { SimulationConfig } from '../../simulation/config.js';
import type { ChildEvent } from '../../simulation/event-lines.js';
import { DEFAULT_ROUNDS, siteNames, type SimulationOptions } from '../../simulation/simulate.js';
import { FederationView, type FederationViewOptions } from './federation-view.js';
import { StatusArea, type StatusStream } from './status-area.js';

export class LiveFederation {
  private readonly fd: number;
  private ticker: NodeJS.Timeout | undefined;
  private finished = false;
  private closed = false;

  constructor(
    private readonly area: StatusArea,
    private readonly view: FederationView,
    readonly logPath: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dirname(logPath), { recursive: true });
    this.fd = openSync(logPath, 'a');
  }

  /** Names the log file and starts the clock (elapsed time and ETA move between events too). */
  start(): void {
    this.area.line(`full log: ${this.logPath}`);
    this.ticker = setInterval(() => this.redraw(), 1000);
    this.ticker.unref();
    this.redraw();
  }

  /** A log line: to the file only; the live view stands for it on screen. */
  log(line: string): void {
    if (!this.closed) writeSync(this.fd, line + '\n');
  }

  /** A line for both the screen (above the live view) and the log file. */
  print(line: string): void {
    this.log(line);
    this.area.line(line);
  }

  coordinatorEvent(e: CoordinatorEvent): void {
    this.view.coordinator(e, this.now());
    const kept = this.view.keptLine(e);
    if (kept) this.area.line(kept);
    this.redraw();
  }

  nodeEvent(site: string, e: ChildEvent): void {
    this.view.node(site, e);
    this.redraw();
  }

  /** Clears the live view (and says where a run stopped that did not finish); the log file stays open for the result lines. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.ticker);
    this.area.finish();
    const stopped = this.view.unfinished();
    if (stopped) this.print(stopped);
  }

  /** Names the log file once more and closes it. */
  close(): void {
    if (this.closed) return;
    this.finish();
    this.area.line(`full log: ${this.logPath}`);
    this.closed = true;
    closeSync(this.fd);
  }

  private redraw(): void {
    if (!this.finished) this.area.update(this.view.render(this.now()));
  }
}

/** A live federation when `stream` is a terminal and not in JSON mode; null otherwise. */
export function liveFederationFor(stream: StatusStream, json: boolean, logPath: string, view: Omit<FederationViewOptions, 'now'>): LiveFederation | null {
  const area = new StatusArea(stream, { json });
  return area.live ? new LiveFederation(area, new FederationView({ ...view, now: Date.now() }), logPath) : null;
}

/** The view's settings for a simulation config. */
export function simulationView(cfg: SimulationConfig): Omit<FederationViewOptions, 'now'> {
  const f = cfg.federation as { rounds?: number; aggregation?: string; evaluate?: { metric?: string } };
  return {
    runName: cfg.runName,
    // The coordinator's default protocol (federation/coordinator/config.ts).
    protocol: f.aggregation ?? 'plain',
    totalRounds: f.rounds ?? DEFAULT_ROUNDS,
    sites: siteNames(cfg.sites),
    metric: f.evaluate?.metric,
  };
}

/** simulate()'s options for a live federation: log lines to the file, events to the view. */
export function liveSimulationOptions(live: LiveFederation): SimulationOptions {
  return {
    onLine: (_source, line) => live.log(line),
    onEvent: (source, e) => (source === 'coordinator' ? live.coordinatorEvent(e as CoordinatorEvent) : live.nodeEvent(source, e)),
  };
}
