/**
 * What a node with a certificate checks before it signs SecAgg+ keys
 * (protocols/secagg/node.ts, #18 item 8): the round is authenticated, its id
 * names this task's round and stage and is new to the node, and the roster
 * gives the node's id its own name. Each refusal says why; the node stays up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SecAggNodeAggregation } from '../../src/federation/protocols/secagg/node.js';
import type { ReceivedTask } from '../../src/federation/wire/task.js';
import { decodeRefusal } from '../../src/federation/wire/refusal.js';
import { encodeSetupEnvelope, SECAGG_ROUND_PREFIX, SECAGG_STAGES } from '../../src/federation/protocols/secagg/envelope.js';
import { certificateVerifier } from '../../src/federation/protocols/secagg/identity.js';
import { decodeMessageOf, keysTranscript, SecAggServer } from '../../src/secagg/index.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { nodeCredentials } from './helpers/node-credentials.js';

const NODES = ['alice', 'bob', 'charlie'];
const global = [Float32Array.of(0.5, -1, 2), Float32Array.of(0)];
const specs = [
  { name: 'w', shape: [3] },
  { name: 'b', shape: [1] },
];
const trained = global.map((t) => t.map((v) => v + 0.1));

function setupTask(o: { roundId?: string; roster?: string[]; authenticated?: boolean; round?: number } = {}): ReceivedTask {
  const roundId = o.roundId ?? `${SECAGG_ROUND_PREFIX}${randomUUID()}/round-4/attempt-1/${SECAGG_STAGES.setup}`;
  const server = new SecAggServer({ roundId, nodeIds: [1, 2, 3], degree: 2, threshold: 2, vectorLength: 5, clip: 1, maxWeight: 1000, authenticated: o.authenticated ?? true });
  return {
    kind: 'fit',
    taskId: 't1',
    round: o.round ?? 4,
    config: {},
    tensors: specs.map((s, i) => ({ ...s, data: global[i]! })),
    stage: SECAGG_STAGES.setup,
    payload: encodeSetupEnvelope({ nodeId: 2, maxUpdateNorm: null, roster: o.roster ?? NODES, setup: server.setupMessage() }),
  };
}

describe('a SecAgg+ node with a certificate', () => {
  let fed: Federation;
  before(async () => {
    fed = await makeFederation(NODES);
  });
  after(() => fed.cleanup());

  it('signs its keys for this round with its certificate, and refuses rounds it must not sign', async () => {
    const logged: string[] = [];
    const bob = new SecAggNodeAggregation({ credentials: nodeCredentials(fed, 'bob'), log: (l) => logged.push(l) });
    const fit = (task: ReceivedTask) => bob.afterFit(task, { weights: trained, numSamples: 40, metrics: {} });
    const refusal = async (task: ReceivedTask) => decodeRefusal((await fit(task)).payload!);

    // Accepted: the keys carry bob's certificate and a signature any peer can check against the CA.
    const task = setupTask();
    const keys = decodeMessageOf(Uint8Array.from((await fit(task)).payload!), 'advertise-keys');
    const roundId = keys.roundId;
    const verifier = certificateVerifier(nodeCredentials(fed, 'bob').caPem, (id) => NODES[id - 1]);
    assert.equal(verifier.check(2, keys.credential!, keysTranscript(roundId, 2, keys.encryptionPublicKey, keys.maskPublicKey), keys.signature!), null);
    assert.match(verifier.check(3, keys.credential!, keysTranscript(roundId, 3, keys.encryptionPublicKey, keys.maskPublicKey), keys.signature!)!, /has a certificate for 'bob', not for 'charlie'/);

    assert.equal(await refusal(task), `the secure aggregation round '${roundId}' was set up before: a replayed setup`);
    assert.match((await refusal(setupTask({ round: 5 })))!, /does not name this task's round 5 and stage 'secagg\/setup'/);
    assert.match((await refusal(setupTask({ roundId: 'privmed/round-4' })))!, /round id 'privmed\/round-4' does not name this task's round 4/);
    assert.equal(await refusal(setupTask({ roster: ['alice', 'mallory', 'charlie'] })), "the round's roster gives this node's id 2 the name 'mallory', this node is 'bob'");
    assert.match((await refusal(setupTask({ authenticated: false })))!, /is not authenticated; node 2 takes part only in rounds whose keys are signed/);
    assert.ok(logged.every((l) => l.includes('refusing secure aggregation stage')), logged.join('\n'));

    // A node without a certificate (insecure: true) cannot sign, and says so.
    const plain = new SecAggNodeAggregation();
    const reply = await plain.afterFit(setupTask(), { weights: trained, numSamples: 40, metrics: {} });
    assert.match(decodeRefusal(reply.payload!)!, /is authenticated, and node 2 has no identity to sign its keys with/);
  });
});
