import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { parseWith } from '../../common/config-file.js';
import { SimulationSchema } from '../../simulation/config.js';
import { runSimulation } from './simulate.js';

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new PrivmedError(`${flag}: expected a positive integer, got '${v}'`);
  return n;
}

const AGGREGATION_NAMES: Record<string, string> = {
  secagg: 'secure aggregation (SecAgg+)',
  ckks: 'CKKS with a threshold key (the model lives only at the hospitals)',
  plain: 'plain FedAvg',
};

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('three hospitals train a pneumonia classifier on non-IID PneumoniaMNIST over a real federation, then test it')
    .option('--data <dir>', 'data root holding pneumoniamnist/ (default: $PRIVMED_DATA or ../shared/data)')
    .option('--sites <n>', 'number of hospitals', '3')
    .option('--rounds <n>', 'federated rounds (one local epoch each)', '8')
    .option('--arch <arch>', 'small-cnn or resnet18', 'small-cnn')
    .option('--aggregation <kind>', 'secagg (the coordinator learns only the sum), ckks (threshold homomorphic encryption: it learns nothing) or plain', 'secagg')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--output <dir>', 'where the run state and the model go', 'runs/demo')
    .option('--dp', 'DP-SGD at every hospital: each calibrates its noise to the budget (--epsilon, delta 1e-5) over the planned rounds', false)
    .option('--epsilon <e>', 'with --dp: the privacy budget of each hospital', '8')
    .option('--json', 'print the result as JSON', false)
    .action(async (opts: { data?: string; sites: string; rounds: string; arch: string; aggregation: string; backend: string; output: string; json: boolean; dp: boolean; epsilon: string }) => {
      const sites = positiveInt('--sites', opts.sites);
      const epsilon = Number(opts.epsilon);
      if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new PrivmedError(`--epsilon: expected a positive number, got '${opts.epsilon}'`);
      const cfg = parseWith(SimulationSchema, {
        sites,
        data: { dataset: 'pneumoniamnist', root: opts.data, partition: { kind: 'dirichlet', alpha: 0.5 } },
        model: { arch: opts.arch, norm: 'group' },
        training: { batchSize: 32, optimizer: { name: 'adam', lr: 1e-3 } },
        backend: opts.backend,
        federation: { rounds: positiveInt('--rounds', opts.rounds), minNodes: sites, aggregation: opts.aggregation, fit: { localEpochs: 1 }, evaluate: { metric: 'mcc' } },
        output: opts.output,
        // Every demo is a fresh run (a simulation with a fixed run name would resume instead).
        runName: `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        ...(opts.dp ? { privacy: { targetEpsilon: epsilon, clipNorm: 1, delta: 1e-5, sampling: 'poisson' } } : {}),
      });
      if (!['secagg', 'ckks', 'plain'].includes(opts.aggregation)) throw new PrivmedError(`--aggregation: expected secagg, ckks or plain, got '${opts.aggregation}'`);
      const header =
        `privmed demo: ${cfg.sites} hospitals, non-IID PneumoniaMNIST (Dirichlet alpha 0.5), ${opts.rounds} rounds, ` +
        `${AGGREGATION_NAMES[opts.aggregation] ?? opts.aggregation}, ${opts.dp ? `DP-SGD at every hospital (epsilon ${epsilon} at delta 1e-5 each), ` : ''}mutual TLS on loopback`;
      await runSimulation(cfg, { json: opts.json, logName: 'demo.log', header });
    });
}
