/**
 * lamkit public API. Explicit re-exports only (no `export *`), grouped by layer; internals stay
 * unexported. Add a line in the right group when you add a public entry point.
 */

// ---- version
export { LAMKIT_VERSION } from './version.js';

// ---- graph: build, differentiate, plan, compile
export { GraphBuilder, type OpOptions, type ConvOpts } from './graph/builder.js';
export { Graph, Value, Buffer as GraphBuffer, type Node, type BufferKind, type Phase } from './graph/ir.js';
export { addBackward, DIFFERENTIABLE_OPS, type LossTerm } from './graph/autodiff.js';
export { plan, memorySummary, type Plan, type PlanOptions, type PlannedOp, type Slot, type TapeProgram } from './graph/plan.js';
export { compile, type CompileOptions } from './graph/compile.js';
export { compileOn, compileReference } from './graph/runner.js';
export { CompiledModel, StepError, type ModelState, type StepRunner } from './graph/compiled.js';

// ---- layers and optimisers (graph fragments)
export { linear, linearSum, conv2d, convTranspose2d, type LayerOptions, type ConvLayerOptions } from './nn/layers.js';
export { kaimingUniform, biasUniform, uniformInit, defaultBound } from './nn/init.js';
export { adam, adamw, type AdamOptions } from './optim/adam.js';
export { sgd, type SgdOptions } from './optim/sgd.js';

// ---- LAM models, training
export {
  PRESETS,
  getPreset,
  buildLam,
  buildIdmGraph,
  buildFdmGraph,
  linearIdm,
  linearFdm,
  convIdm,
  convFdm,
  sampleShape,
  type Preset,
  type PresetName,
  type LamGraph,
  type BuildOptions,
  type LinearSpec,
  type ConvSpec,
} from './lam/presets.js';
export { addTrainingStep, type TrainingStepOptions, type OptimizerName } from './lam/objective.js';
export { planPreset, compilePreset, type PresetTrainingOptions } from './lam/training.js';
export { Trainer, type TrainOptions, type TrainResult, type StepEvent } from './lam/trainer.js';
export { linearExoSource, randomFramesSource, defaultSource, type BatchSource, type ResumableSource, type SourceState } from './lam/batches.js';
export { saveCheckpoint, loadCheckpoint, writeFileAtomic, restoreCheckpoint, checkpointOf, CHECKPOINT_FILE, type Checkpoint, type CheckpointInput } from './lam/checkpoint.js';
export { encodeSafetensors, decodeSafetensors, readSafetensors, SafetensorsError } from './lam/safetensors.js';

// ---- backends
export { resolveBackend, probeBackends, describeResolution, registerBackend, type ResolveOptions, type Resolved, type BackendStatus } from './backends/registry.js';
export type { Backend, BackendFactory, BackendInfo, Executable, BackendName } from './backends/types.js';

// ---- data
export { Rng, testSeed, type RngState } from './data/rng.js';
export { LinearExo, LINEAR_EXO_DEFAULTS, type LinearExoConfig, type LinearExoBatch, type LinearExoTruth } from './data/linear-exo.js';
export { Gridworld, type GridworldBatch } from './data/gridworld.js';
export { readNpy, writeNpy, encodeNpy, decodeNpy } from './data/npy.js';

// ---- ops (contracts, for backend authors)
export { OPS, getOp } from './ops/index.js';
export type { OpContract, Shape, Attrs } from './ops/contract.js';

// ---- analysis: closed form, probes, S_exo, diagnostics (float64)
export { closedForm } from './analysis/closed-form.js';
export { parseObjective, objectiveLabel, type Objective } from './analysis/objective.js';
export { evaluateLinearLatent } from './analysis/evaluate.js';
export { probeLatent, sExo } from './analysis/probes.js';
export { runExperiment } from './analysis/experiment.js';
export { diagnose, diagnoseFromMoments, TransitionMoments, RandomProjection, type Diagnosis, type DiagnoseOptions } from './analysis/diagnose.js';
export { MomentAccumulator } from './analysis/moments.js';
export { trainLinearLam } from './lam/linear-objectives.js';

// ---- your own data (.npy/.npz files or shard directories, streamed)
export { Dataset, type DataKind, type ActionInfo, type DatasetOpenOptions } from './data/dataset.js';
export { openNpz, type NpzArchive } from './data/npz.js';
export { TransitionSampler, splitTransitions } from './data/dataset-sampler.js';
export { ownDataPreset, planOwnData, ownDataSource, type OwnObjective } from './lam/own-data.js';
export { probeOwnData } from './lam/own-data-probes.js';

// ---- reports
export { loadReport, upsertSection, writeReport } from './report/report.js';

// ---- ONNX export and inference
export { exportGraph, exportPreset, loadRun, openSession, describeModel, ONNX_OPSET } from './onnx/index.js';
