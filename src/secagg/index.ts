/**
 * Secure aggregation (SecAgg+): the coordinator learns only the (weighted)
 * sum of the nodes' updates, survives dropouts, needs no trusted dealer.
 * See docs/secagg.md for the protocol, parameters and threat model.
 */
export { SecAggClient, type SecAggClientOptions, type SecAggClientState } from './client.js';
export { SecAggServer, weightedMean, type SecAggResult, type SecAggServerOptions, type SecAggServerStage } from './server.js';
export { runSecAggRound, type SecAggRoundOptions, type SecAggRoundReport, type SecAggStage, type WireEvent } from './driver.js';
export { chooseGraphParameters, type GraphParameterOptions, type GraphParameters } from './graph-parameters.js';
export { minimumThreshold, validateParams } from './params.js';
export { fixedPointScheme, quantisationErrorBound, type FixedPointScheme } from './input-encoding.js';
export { encodeMessage, decodeMessage, decodeMessageOf, type MessageOf } from './wire.js';
export { SecAggError, type SecAggErrorCode } from './errors.js';
export { removeMasksHere, type MaskJob, type MaskRemover } from './unmask-jobs.js';
export { keysTranscript, survivorsTranscript, type SecAggAuthentication, type SecAggSigner, type SecAggVerifier } from './authentication.js';
export type { RandomSource } from '../crypto/random.js';
export type * from './messages.js';
