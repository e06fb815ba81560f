import type { Command } from 'commander';
import { PrivmedError } from '../../common/errors.js';
import { fetchDataset, KNOWN_DATASETS } from '../../data/fetch.js';
import { dataRoot } from '../../data/paths.js';

export function registerDataFetchCommand(data: Command): void {
  data
    .command('fetch')
    .description(`download a MedMNIST dataset and verify its published MD5 (${Object.keys(KNOWN_DATASETS).join(', ')})`)
    .argument('<name>', 'dataset name')
    .option('--data <dir>', 'data root (default: $PRIVMED_DATA or ../shared/data)')
    .action(async (name: string, opts: { data?: string }) => {
      const remote = KNOWN_DATASETS[name];
      if (!remote) throw new PrivmedError(`unknown dataset '${name}'`, { hint: `choose one of: ${Object.keys(KNOWN_DATASETS).join(', ')}` });
      const r = await fetchDataset(remote, dataRoot(opts.data), (l) => process.stderr.write(l + '\n'));
      console.log(`${r.cached ? 'already present' : 'downloaded'}: ${r.path} (MD5 ${r.md5} verified)`);
    });
}
