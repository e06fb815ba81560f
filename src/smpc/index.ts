/**
 * Secure two-party inference with a dealer (pure protocol; no network, no
 * models): ring Z_2^64 and fixed point, the AES PRG, the truth-table
 * comparison and the gate, linear layers, plans, dealer material and its codec,
 * one party's run of a plan over a Link. Imports only common/ and node:crypto.
 */
export { SmpcError, type SmpcErrorCode } from './errors.js';
export { FRACTION_BITS, decodeFixed, encodeFixed, ringAdd, ringBytes, ringFromBytes, ringRandom, ringSub, ringZeros } from './ring64.js';
export { expandRing, randomSeeds } from './aes-prg.js';
export { digitLayout, type DigitLayout } from './digit-compare.js';
export { gateGen, gateOpenShare, gateDigitShare, gateBitShare, gateFinish, gateCompareBits, checkGateSpec, MAX_WINDOW, type GateShare, type GateSpec, type GateOutput } from './gate.js';
export { convGeometry, convRing, convRingWasm, poolWindows, setRingConvKernel, sumPoolRing, weightCount, type ConvGeometry, type RingConvKernel } from './linear.js';
export { checkPlan, planSteps, totalWeights, tournamentLevels, type OpWeights, type Plan, type PlanOp, type Step } from './plan.js';
export { dealImage, dealStep, type StepShare, type LinearShare, type BeaverShare } from './dealer.js';
export { decodeStep, encodeStep, stepBytes } from './codec.js';
export { CountingLink, memoryLinkPair, type Link } from './link.js';
export { precompute, runImage, type ImageResult, type PartyContext } from './party.js';
export { deltaWeights, maskWeights, newSessionSeed, weightMask } from './session.js';
export { referenceForward, ringArgmax } from './reference.js';
export { calibrateWindows, type Calibration } from './calibrate.js';
export { runInProcess, type InProcessStats } from './in-process.js';
