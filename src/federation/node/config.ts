/** The node's configuration (zod schema: validated, defaults filled in). */
import { z } from 'zod';
import { NODE_NAME_PATTERN } from '../../net/certs/pki.js';
import { parseWith as parseConfig } from '../../common/config-file.js';
import { TlsConfigSchema } from '../../net/tls-config.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../wire/limits.js';

export const NodeConfigSchema = z
  .strictObject({
    /** Must equal the CN of the node's certificate. */
    name: z.string().regex(NODE_NAME_PATTERN, 'a node name (letters, digits, . _ -)'),
    /** The coordinator's address, host:port. */
    coordinator: z.string().min(1),
    tls: TlsConfigSchema.optional(),
    insecure: z.literal(true).optional(),
    /** How long to keep trying to reach the coordinator (it may be restarting) before giving up. */
    reconnectTimeoutSec: z.number().positive().default(120),
    /** Upper bound for one call, e.g. a long poll plus a large download. */
    callTimeoutSec: z.number().positive().default(600),
    /** Largest message accepted from the coordinator. */
    maxMessageBytes: z.number().int().min(64 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
  })
  .superRefine((c, ctx) => {
    if (!c.tls === !c.insecure) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings (ca, cert, key), or insecure: true for loopback experiments', input: c.tls });
    }
  });

export type NodeConfigInput = z.input<typeof NodeConfigSchema>;
export type NodeConfig = z.output<typeof NodeConfigSchema>;

export function parseNodeConfig(raw: unknown, file?: string): NodeConfig {
  return parseConfig(NodeConfigSchema, raw, file);
}
