/**
 * privmed's public API: a small facade over the folders (one concept each).
 * The CLI (src/cli) is a thin layer over exactly these.
 */
export { PrivmedError, FileFormatError, ConfigError } from './common/errors.js';
export { initBackend, type BackendName } from './engine/backend.js';

// data
export type { Dataset, Sample, Batch, DatasetInfo, Transform } from './data/dataset.js';
export { ArrayDataset, SubsetDataset, TransformedDataset, batches } from './data/dataset.js';
export { loadMedMnist } from './data/medmnist.js';
export { readImage } from './data/images/read-image.js';
export { openImageFolder } from './data/images/folder-dataset.js';
export { buildPreprocessing, buildAugmentation, preprocessImage } from './data/preprocess/build.js';
export { partition, type Partitioning } from './data/partition.js';

// models and training
export { buildModel } from './models/build.js';
export type { ModelSpec } from './models/spec.js';
export { saveModel, loadModel, type ModelMetadata } from './models/io.js';
export { TrainConfigSchema, type TrainConfig } from './site/train-config.js';
export { runTraining } from './site/run-local.js';
export { train } from './training/trainer.js';
export { evaluate, predict } from './training/evaluate.js';
export { classificationMetrics, rocAuc, mcc } from './metrics/classification.js';

// charts (SVG strings; PNG through sharp)
export { lineChart, type LineChartOptions, type Series } from './plots/line-chart.js';
export { rocChart } from './plots/roc.js';
export { confusionChart } from './plots/confusion.js';
export { calibrationChart, calibration } from './plots/calibration.js';
export { learningCurvesChart } from './plots/learning-curves.js';
export { svgToPng } from './plots/png.js';

// privacy
export * as accounting from './accounting/index.js';
export * as dp from './dp/index.js';
export { makePrivate, type PrivateTraining } from './dp/make-private.js';
export * as crypto from './crypto/index.js';
export * as secagg from './secagg/index.js';

// federation
export * as federation from './federation/index.js';
export { TfjsLocalTrainer } from './site/site-trainer.js';
export * as net from './net/index.js';
export { simulate } from './simulation/simulate.js';
export { tune } from './tuning/tune.js';
export { startDashboard, type DashboardHandle, type DashboardOptions } from './dashboard/server.js';
export { RunSnapshots } from './dashboard/snapshot.js';
export { LiveFeed } from './dashboard/live-feed.js';
