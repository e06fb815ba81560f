/**
 * The model owner process: serves data owners' sessions. Per session it
 * registers the plan with the dealer, sends the data owner the masked weights
 * delta = W - B once, then runs each image as party 1. It never sees an image
 * or a result.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { formatAddress, parseAddress, peerCommonName, serverOptions, type TlsMaterial } from '../net/index.js';
import { maskWeights, ringBytes, runImage, weightMask, type Plan } from '../smpc/index.js';
import { MaterialFeed } from './material-feed.js';
import type { PreparedModel } from './prepare.js';
import { useNativeRingKernel } from './ring-kernel.js';
import { serverCredentials } from './tls.js';
import { FrameLink, MAX_GRPC_MESSAGE, smpcServices, type DuplexLike, type SmpcFrame, SMPC_KEEPALIVE, widenServerWindow } from './wire.js';

export interface ModelOwnerOptions {
  listen: string;
  dealer: string;
  /** Server certificate (for data owners) and client certificate (for the dealer). */
  serverTls: TlsMaterial;
  clientTls: TlsMaterial;
  model: PreparedModel;
  /** Images of material asked for ahead of use (0: on demand). */
  lookahead?: number;
  log?: (line: string) => void;
}

/** The largest protocol message a party may send for this plan (a Beaver opening of the largest tensor). */
export function maxProtocolMessage(plan: Plan): number {
  const largest = Math.max(...Object.values(plan.tensors).map((t) => t.size));
  return 16 * largest + 1024;
}

export async function startModelOwner(options: ModelOwnerOptions): Promise<{ address: string; close(): Promise<void> }> {
  const log = options.log ?? (() => {});
  log(`model owner: ${useNativeRingKernel()}`);
  const { plan, weights, classes, preprocessing } = options.model;
  const planJson = JSON.stringify(plan);
  const sha = createHash('sha256').update(planJson).digest();
  const server = new grpc.Server({ ...serverOptions({ maxMessageBytes: MAX_GRPC_MESSAGE }), ...SMPC_KEEPALIVE });
  const session = (call: grpc.ServerDuplexStream<SmpcFrame, SmpcFrame>): void => {
    let who: string;
    try {
      who = peerCommonName(call);
    } catch (e) {
      call.write({ error: (e as Error).message });
      call.end();
      return;
    }
    const id = randomBytes(16).toString('hex');
    if (!widenServerWindow(call)) log(`model owner: session ${id.slice(0, 8)}: could not widen the HTTP/2 receive window (grpc-js internals changed?); large openings will wait for 64 kB acknowledgements`);
    const feed = new MaterialFeed(options.dealer, options.clientTls, 1, options.lookahead ?? 1);
    const link = new FrameLink(call as unknown as DuplexLike<SmpcFrame>, maxProtocolMessage(plan), `data owner ${who}`);
    const run = async (): Promise<void> => {
      feed.open(id, plan, planJson, sha);
      const delta = maskWeights(plan, weights, weightMask(plan, await feed.seed.next()));
      call.write({ hello: { planJson, classes, preprocessingJson: JSON.stringify(preprocessing), sessionId: id, deltaBytes: delta.byteLength } });
      link.send(ringBytes(delta));
      log(`model owner: session ${id.slice(0, 8)} with ${who}: masked weights sent (${(delta.byteLength / 1e6).toFixed(2)} MB)`);
      let images = 0;
      for (;;) {
        let remaining: number;
        try {
          remaining = await link.begins.next();
        } catch {
          break; // the data owner closed the session
        }
        const material = await feed.nextImage(remaining);
        await runImage({ party: 1, plan, link, weights }, material);
        images++;
      }
      log(`model owner: session ${id.slice(0, 8)} ended after ${images} image(s)`);
    };
    run()
      .catch((e: Error) => {
        log(`model owner: session ${id.slice(0, 8)} failed: ${e.message}`);
        call.write({ error: e.message });
      })
      .finally(() => {
        feed.close();
        call.end();
      });
  };
  server.addService(smpcServices().modelOwner.service, { Session: session });
  const { host, port } = parseAddress(options.listen);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(formatAddress({ host, port }), serverCredentials(options.serverTls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: formatAddress({ host, port: bound }), close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
