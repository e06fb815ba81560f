/**
 * Loads the privmed.v1 protobuf definitions at runtime. The .proto files ship
 * in the package under proto/, both beside src/ (tsx, tests) and beside
 * dist/src/ (built package), so we look upwards from this module for them.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PrivmedError } from '../../common/errors.js';
import type { ProtoGrpcType } from './messages.js';

const COORDINATOR_PROTO = 'privmed/v1/coordinator.proto';

export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, COORDINATOR_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new PrivmedError(`cannot find ${COORDINATOR_PROTO} above ${fileURLToPath(import.meta.url)}`, {
    hint: 'the proto/ folder must ship with the package',
  });
}

type CoordinatorService = ProtoGrpcType['privmed']['v1']['Coordinator'];

let cached: CoordinatorService | undefined;

/** The Coordinator service: `.service` for servers, `new (...)` for clients. */
export function coordinatorService(): CoordinatorService {
  if (cached) return cached;
  // The generated types (messages.ts) assume these options: scripts/gen-wire-types.mjs passes the same as flags.
  const definition = protoLoader.loadSync(COORDINATOR_PROTO, {
    includeDirs: [protoRoot()],
    keepCase: false,
    longs: Number, // counts and byte totals stay far below 2^53
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  cached = pkg.privmed.v1.Coordinator;
  return cached;
}
