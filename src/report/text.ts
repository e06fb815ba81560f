/** The report's fixed prose: threat model, mechanisms explained, what is not protected. Short, for a DPO. */

export const THREAT_MODEL: { party: string; sees: string; cannot: string }[] = [
  { party: 'Each hospital (node)', sees: 'its own images; the global model of every round', cannot: 'see other hospitals\' data or updates' },
  {
    party: 'Coordinator, plain aggregation',
    sees: 'every node\'s model update in the clear, and each node\'s sample count',
    cannot: 'see images directly, but an update can be inverted into images (gradient inversion, measured below)',
  },
  {
    party: 'Coordinator, SecAgg+',
    sees: 'only the sum of the updates of at least the threshold number of nodes (and no per-node counts)',
    cannot: 'see any single update, unless nodes below the threshold collude with it or it drops honest nodes to isolate one',
  },
  {
    party: 'Coordinator, CKKS (threshold key)',
    sees: 'ciphertexts; the global model is decrypted only at the nodes',
    cannot: 'decrypt anything alone: a decryption needs t of n nodes\' key shares',
  },
  { party: 'Anyone with the final model', sees: 'the weights (white box) or its predictions', cannot: 'learn more about one patient than epsilon allows, when DP-SGD trained it' },
];

export const NOT_PROTECTED: string[] = [
  'A malicious coordinator that ships a crafted model (e.g. "Robbing the Fed", MedLeak) can recover images even from a SecAgg aggregate: SecAgg protects against an honest-but-curious coordinator only. Nodes should pin the model architecture they accept.',
  'SecAgg hides which node sent what, not the images inside the sum: when few nodes each train on a handful of images, the aggregate inverts like one node\'s batch of the same size (measured: 4 nodes x 1 image as leaky as 1 node x 4). DP-SGD at the nodes is what protects the images.',
  'Without DP-SGD, the final model itself can leak membership and, at small local batches, whole images through its updates: secure aggregation alone is not a privacy guarantee for the model.',
  'DP protects one privacy unit (here: one training image). A patient with several images is protected only for the group, at roughly k times epsilon for k images.',
  'Metadata: which hospitals took part, when, and (without SecAgg) how many images each trained on.',
  'Side channels (timing, memory) on the hospitals\' machines and the security of their stored data and keys are outside privmed.',
  'The empirical audit gives a lower bound: a small eps_lb does not show the model is safe, only that this attack found no violation of the accountant.',
];

export const PRIVACY_UNIT = 'one training image (record-level DP); one patient with several images is protected as a group';
