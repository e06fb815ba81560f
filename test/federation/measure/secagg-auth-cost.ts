/**
 * Not a test: what authentication (src/secagg/authentication.ts: signed keys,
 * the consistency check) adds to one SecAgg+ round, in process with real
 * ECDSA P-256 certificates from privmed's PKI. CPU milliseconds of the
 * critical path (slowest node + coordinator), median of 3; the cost does not
 * depend on the vector length (1,000 values here).
 *
 *   node --import tsx test/federation/measure/secagg-auth-cost.ts
 */
import { createCertificateAuthority, issueCertificate } from '../../../src/net/index.js';
import { runSecAggRound, chooseGraphParameters } from '../../../src/secagg/index.js';
import { certificateVerifier, nodeSigner } from '../../../src/federation/protocols/secagg/identity.js';

const ca = await createCertificateAuthority('bench-ca', 1);
for (const n of [10, 50]) {
  const names = Array.from({ length: n }, (_, i) => `node-${i + 1}`);
  const certs = await Promise.all(names.map((commonName) => issueCertificate(ca, { commonName, role: 'client', validDays: 1 })));
  const { degree, threshold } = chooseGraphParameters(n);
  const nodeIds = names.map((_, i) => i + 1);
  const nameOf = (id: number) => names[id - 1];
  const run = (authenticated: boolean) => {
    const r = runSecAggRound({
      params: { roundId: `bench-${authenticated}-${Math.random()}`, nodeIds, degree, threshold, vectorLength: 1000, clip: 1, maxWeight: 1, authenticated },
      inputs: () => ({ values: new Float64Array(1000).fill(0.1), weight: 1 }),
      ...(authenticated ? { authentication: (id: number) => ({ signer: nodeSigner(certs[id - 1]!.certPem, certs[id - 1]!.keyPem), verifier: certificateVerifier(ca.certPem, nameOf) }), verifier: certificateVerifier(ca.certPem, nameOf) } : {}),
    });
    const slowest = Math.max(...r.cpuMillis.node.values());
    return { critical: slowest + r.cpuMillis.coordinator, node: slowest, coordinator: r.cpuMillis.coordinator };
  };
  run(false); run(true);
  const plain = [run(false), run(false), run(false)].sort((a, b) => a.critical - b.critical)[1]!;
  const auth = [run(true), run(true), run(true)].sort((a, b) => a.critical - b.critical)[1]!;
  console.log(JSON.stringify({ n, degree, threshold, unauthenticated: plain, authenticated: auth, extraMs: auth.critical - plain.critical }));
}
