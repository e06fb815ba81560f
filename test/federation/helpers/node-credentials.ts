/** A node's mTLS identity as runNode hands it to its aggregation (it signs SecAgg+ keys and CKKS adverts with it). */
import { readFileSync } from 'node:fs';
import type { Federation } from './federation-setup.js';

export function nodeCredentials(fed: Federation, name: string): { name: string; certPem: string; keyPem: string; caPem: string } {
  const tls = fed.nodeConfig(name, '127.0.0.1:1').tls!;
  return { name, certPem: readFileSync(tls.cert, 'utf8'), keyPem: readFileSync(tls.key, 'utf8'), caPem: readFileSync(tls.ca, 'utf8') };
}
