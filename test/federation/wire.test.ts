import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrivmedError } from '../../src/common/errors.js';
import { PayloadAssembler, chunksOf } from '../../src/federation/wire/chunks.js';
import { configFromWire, configToWire } from '../../src/federation/wire/config-values.js';
import { coordinatorService } from '../../src/federation/wire/proto.js';
import type { TaskChunk__Output as TaskChunkMsg } from '../../src/federation/wire/messages.js';
import { MessageTooLargeError, checkLimits } from '../../src/federation/wire/limits.js';
import {
  decodeTensors,
  encodeTensors,
  manifestOf,
  specMismatch,
  specsFromManifest,
  type NamedTensor,
} from '../../src/federation/wire/tensors.js';

const tensorArb = fc
  .array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 3 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      values: fc.array(fc.float({ noNaN: false }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }),
    }),
  );

describe('tensor wire format', () => {
  it('round-trips any list of named float32 tensors bit for bit', () => {
    fc.assert(
      fc.property(fc.array(tensorArb, { maxLength: 4 }), (specs) => {
        const tensors: NamedTensor[] = specs.map((s, i) => ({ name: `t${i}`, shape: s.shape, data: Float32Array.from(s.values) }));
        const payload = encodeTensors(tensors);
        const back = decodeTensors(specsFromManifest(manifestOf(tensors), 'test'), payload);
        assert.deepEqual(back.map((t) => [t.name, t.shape]), tensors.map((t) => [t.name, t.shape]));
        back.forEach((t, i) => assert.deepEqual(new Uint8Array(t.data.buffer), new Uint8Array(tensors[i]!.data.buffer)));
      }),
    );
  });

  it('writes little-endian float32', () => {
    const payload = encodeTensors([{ name: 'x', shape: [2], data: Float32Array.of(1, -2.5) }]);
    assert.deepEqual([...payload], [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]);
  });

  it('decodes from an unaligned buffer slice', () => {
    const payload = encodeTensors([{ name: 'x', shape: [3], data: Float32Array.of(1, 2, 3) }]);
    const unaligned = Buffer.concat([Buffer.from([9]), payload]).subarray(1);
    assert.deepEqual([...decodeTensors([{ name: 'x', shape: [3] }], unaligned)[0]!.data], [1, 2, 3]);
  });

  it('refuses inconsistent manifests and payloads', () => {
    assert.throws(() => specsFromManifest({ tensors: [{ name: 'a', shape: [2] }], totalBytes: 12 }, 'upload'), /declares 12 bytes but its tensors need 8/);
    assert.throws(() => specsFromManifest({ tensors: [{ name: 'a', shape: [1] }, { name: 'a', shape: [1] }], totalBytes: 8 }, 'upload'), /'a' appears twice/);
    assert.throws(() => specsFromManifest({ tensors: [{ name: '', shape: [1] }], totalBytes: 4 }, 'upload'), /empty name/);
    assert.throws(() => decodeTensors([{ name: 'a', shape: [2] }], Buffer.alloc(4)), /4 bytes, expected 8/);
    assert.throws(() => encodeTensors([{ name: 'a', shape: [3], data: new Float32Array(2) }]), /2 values but shape \[3\] needs 3/);
  });

  it('describes how an update differs from the model', () => {
    const model = [{ name: 'k', shape: [4, 1] }, { name: 'b', shape: [1] }];
    assert.equal(specMismatch(model, model), null);
    assert.match(specMismatch(model, [model[0]!])!, /expected 2 tensors, got 1/);
    assert.match(specMismatch(model, [{ name: 'k', shape: [5, 1] }, model[1]!])!, /'k' has shape \[5,1\], expected \[4,1\]/);
    assert.match(specMismatch(model, [model[1]!, model[0]!])!, /tensor 0 is named 'b', expected 'k'/);
  });
});

describe('chunked transfer', () => {
  it('splits a payload into chunks that reassemble exactly', () => {
    const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const chunks = [...chunksOf(payload, 300)];
    assert.deepEqual(chunks.map((c) => c.length), [300, 300, 300, 100]);
    const assembler = new PayloadAssembler(1000, 300, 'test upload');
    for (const c of chunks) assembler.push(c);
    assert.deepEqual(assembler.finish(), payload);
  });

  it('refuses short, long and oversized-chunk streams', () => {
    const short = new PayloadAssembler(10, 8, 'update of bob');
    short.push(Buffer.alloc(8));
    assert.throws(() => short.finish(), /update of bob: stream ended after 8 of 10 bytes/);
    const long = new PayloadAssembler(10, 8, 'update of bob');
    long.push(Buffer.alloc(8));
    assert.throws(() => long.push(Buffer.alloc(8)), /more than the 10 bytes its manifest declared/);
    const big = new PayloadAssembler(100, 8, 'update of bob');
    assert.throws(() => big.push(Buffer.alloc(9)), (e: unknown) => e instanceof MessageTooLargeError && /9 bytes, over the limit of 8/.test(e.message));
  });

  it('requires chunks to fit into a message', () => {
    assert.throws(() => checkLimits({ maxMessageBytes: 1000, chunkBytes: 1000, maxUpdateBytes: 1e6 }), PrivmedError);
    checkLimits({ maxMessageBytes: 4 << 20, chunkBytes: 1 << 20, maxUpdateBytes: 1e9 });
  });
});

describe('config values on the wire', () => {
  it('keeps numbers, text and flags apart through a real protobuf round trip', () => {
    const config = { learningRate: 0.01, optimizer: 'adam', augment: false, localEpochs: 0, undefinedKey: undefined };
    const method = coordinatorService().service.GetTask!;
    const bytes = method.responseSerialize({ header: { kind: 'TASK_KIND_FIT', config: configToWire(config) } });
    const decoded = method.responseDeserialize(bytes) as TaskChunkMsg;
    assert.equal(decoded.part, 'header');
    assert.deepEqual(configFromWire(decoded.header!.config), { learningRate: 0.01, optimizer: 'adam', augment: false, localEpochs: 0 });
  });
});
