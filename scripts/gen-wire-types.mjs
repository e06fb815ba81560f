#!/usr/bin/env node
// Generates the TypeScript types of proto/privmed/v1 into src/federation/wire/generated
// (gitignored) with @grpc/proto-loader's generator, before tsc runs. The flags must
// describe what src/federation/wire/proto.ts's loadSync options produce: camelCase
// fields (no --keepCase), 64-bit ints as numbers, enums as strings, defaults filled
// in, and the oneof name in a virtual field. --importFileExtension=.js makes the
// generated imports resolve under the repo's NodeNext tsconfig without post-processing.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const OUT = 'src/federation/wire/generated';
const generator = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
rmSync(OUT, { recursive: true, force: true }); // no stale types of removed messages
const flags = ['--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js'];
const r = spawnSync(process.execPath, [generator, ...flags, '-I', 'proto', '-O', OUT, 'privmed/v1/coordinator.proto'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
