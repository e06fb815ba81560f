/**
 * `privmed smpc certs|dealer|model-owner|infer|demo`: encrypted inference with
 * three processes (docs/smpc.md). The data owner's lines are predict's.
 */
import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivmedError } from '../../common/errors.js';
import { initBackend } from '../../engine/backend.js';
import { DataOwnerSession } from '../../secure-inference/data-owner.js';
import { startDealer } from '../../secure-inference/dealer-server.js';
import { startModelOwner } from '../../secure-inference/model-owner.js';
import { prepareModel } from '../../secure-inference/prepare.js';
import { roleTls, writeSmpcPki } from '../../secure-inference/tls.js';
import { startCli, waitOrKill, type Child } from '../../simulation/processes.js';
import { loadModel } from '../../models/io.js';
import { inferInputs, plaintextModel, type DataOptions } from './smpc-inputs.js';

const log = (line: string): void => void process.stderr.write(line + '\n');

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Waits for a child's "... listening on ADDR" line. */
function listening(child: Child, lines: string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PrivmedError(`${child.name} did not start within ${ms / 1000} s: ${lines.slice(-5).join(' | ')}`)), ms);
    const check = setInterval(() => {
      const m = lines.map((l) => /listening on (\S+)/.exec(l)).find(Boolean);
      if (m) {
        clearTimeout(timer);
        clearInterval(check);
        resolve(m[1]!);
      }
    }, 50);
    void child.exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new PrivmedError(`${child.name} exited (code ${code}): ${lines.slice(-5).join(' | ')}`));
    });
  });
}

export function registerSmpcCommand(program: Command): void {
  const smpc = program.command('smpc').description('encrypted inference: the image stays with the data owner, the weights with the model owner');
  smpc
    .command('certs')
    .description('a CA and certificates for the dealer, the model owner and the data owner')
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--hosts <names>', 'host names/IPs of the dealer and the model owner', list, ['127.0.0.1', 'localhost'])
    .action(async (o: { out: string; hosts: string[] }) => {
      await writeSmpcPki(o.out, o.hosts);
      console.log(`certificates in ${o.out}: ca.crt, dealer, model-owner (server), model-owner-client, data-owner`);
    });
  smpc
    .command('dealer')
    .description('the crypto provider: makes every party\'s correlated randomness, ahead of time while idle')
    .requiredOption('--certs <dir>', 'folder from privmed smpc certs')
    .option('--listen <addr>', 'host:port', '127.0.0.1:50061')
    .option('--pool-mb <n>', 'material kept ready per session, MB', '512')
    .action(async (o: { certs: string; listen: string; poolMb: string }) => {
      const d = await startDealer({ listen: o.listen, tls: roleTls(o.certs, 'dealer'), poolBytes: Number(o.poolMb) * 1e6, log });
      console.log(`dealer listening on ${d.address}`);
      await new Promise(() => {});
    });
  smpc
    .command('model-owner')
    .description('serves encrypted inference with a model nobody sees')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .requiredOption('--dealer <addr>', 'the dealer, host:port')
    .requiredOption('--certs <dir>', 'folder from privmed smpc certs')
    .option('--listen <addr>', 'host:port', '127.0.0.1:50062')
    .option('--reveal-probabilities', 'let the data owner see the logits (and so the probabilities), not only the class', false)
    .option('--lookahead <n>', 'images of dealer material fetched ahead (0: on demand)', '1')
    .action(async (o: { model: string; dealer: string; certs: string; listen: string; revealProbabilities: boolean; lookahead: string }) => {
      await initBackend('cpu');
      const model = await prepareModel(o.model, { revealLogits: o.revealProbabilities });
      const gates = model.plan.ops.filter((op) => op.kind === 'relu' || op.kind === 'maxpool').length;
      log(`model owner: ${o.model} compiled to ${model.plan.ops.length} ops (${gates} with comparisons), windows ${[...new Set(model.plan.ops.flatMap((op) => ('window' in op ? [op.window] : [])))].join(', ')} bits`);
      const mo = await startModelOwner({ listen: o.listen, dealer: o.dealer, serverTls: roleTls(o.certs, 'model-owner'), clientTls: roleTls(o.certs, 'model-owner-client'), model, lookahead: Number(o.lookahead), log });
      console.log(`model owner listening on ${mo.address}`);
      await new Promise(() => {});
    });
  smpc
    .command('infer')
    .description('the data owner: encrypted predictions for image files; only you learn the class')
    .requiredOption('--model-owner <addr>', 'host:port')
    .requiredOption('--dealer <addr>', 'host:port')
    .requiredOption('--certs <dir>', 'folder from privmed smpc certs (uses data-owner.crt)')
    .option('--json', 'one JSON object per file', false)
    .option('--strict', 'stop at the first unreadable file', false)
    .option('--data <name|folder>', 'a labelled data set instead of files (a MedMNIST name or .npz, or FOLDER/<class>/), with the true class and accuracy')
    .option('--split <split>', 'with --data: which split', 'test')
    .option('--limit <n>', 'with --data: only the first n items')
    .argument('[files...]', 'PNG, JPEG, DICOM, NIfTI or npz image files')
    .action(async (files: string[], o: DataOptions & { modelOwner: string; dealer: string; certs: string; json: boolean; strict: boolean }) => {
      const session = await DataOwnerSession.connect({ modelOwner: o.modelOwner, dealer: o.dealer, tls: roleTls(o.certs, 'data-owner') });
      try {
        if (await inferInputs(session, files, o)) process.exitCode = 1;
      } finally {
        session.close();
      }
    });
  smpc
    .command('demo')
    .description('all three roles on loopback (dealer and model owner as child processes), printing what predict prints')
    .requiredOption('--model <dir>', 'model folder')
    .option('--json', 'one JSON object per file', false)
    .option('--reveal-probabilities', 'the model owner lets the data owner see the probabilities', false)
    .option('--data <name|folder>', 'a labelled data set instead of files (a MedMNIST name or .npz, or FOLDER/<class>/)')
    .option('--split <split>', 'with --data: which split', 'test')
    .option('--limit <n>', 'with --data: only the first n items')
    .option('--compare', 'also run the model in the clear here (the demo has it) and count the agreement', false)
    .argument('[files...]', 'image files')
    .action(async (files: string[], o: DataOptions & { model: string; json: boolean; revealProbabilities: boolean; compare: boolean }) => {
      const dir = mkdtempSync(join(tmpdir(), 'privmed-smpc-'));
      const children: Child[] = [];
      let plain: Awaited<ReturnType<typeof loadModel>> | undefined;
      try {
        if (o.compare) {
          const line = await initBackend('wasm');
          if (!o.json) log(`plaintext comparison: ${line}`);
          plain = await loadModel(o.model);
        }
        await writeSmpcPki(dir);
        const lines: Record<string, string[]> = { dealer: [], 'model owner': [] };
        const start = (name: string, args: string[]): Child => {
          const c = startCli(name, args, (l) => {
            lines[name]!.push(l);
            if (!o.json && !/listening on/.test(l)) log(l);
          });
          children.push(c);
          return c;
        };
        const dealer = await listening(start('dealer', ['smpc', 'dealer', '--certs', dir, '--listen', '127.0.0.1:0']), lines.dealer!, 300_000);
        const moArgs = ['smpc', 'model-owner', '--model', o.model, '--dealer', dealer, '--certs', dir, '--listen', '127.0.0.1:0', ...(o.revealProbabilities ? ['--reveal-probabilities'] : [])];
        const mo = await listening(start('model owner', moArgs), lines['model owner']!, 300_000);
        const session = await DataOwnerSession.connect({ modelOwner: mo, dealer, tls: roleTls(dir, 'data-owner') });
        try {
          if (await inferInputs(session, files, { ...o, plaintext: plain && plaintextModel(plain.model) })) process.exitCode = 1;
        } finally {
          session.close();
        }
      } finally {
        plain?.model.dispose();
        for (const c of children) {
          c.process.kill('SIGTERM');
          await waitOrKill(c, 5_000);
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
