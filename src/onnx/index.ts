/**
 * lamkit's ONNX support, for re-export from the public API (src/index.ts):
 *  - export: a Graph's forward slice → ModelProto (opset 17, dynamic batch), or a preset's
 *    IDM/FDM with (trained) parameters, or a run directory;
 *  - run: onnxruntime-node / onnxruntime-web sessions (loaded lazily) on named typed arrays;
 *  - inspect: an .onnx file's inputs, outputs, metadata and opset.
 */
export { exportGraph, type ExportOptions, type ExportResult } from './export.js';
export { exportPreset, INFERENCE_GRAPHS, type InferenceGraph, type PresetExportOptions } from './export-preset.js';
export { loadRun, type RunForExport } from './run-dir.js';
export { addVqLookup } from './vq-head.js';
export { openSession, ONNX_RUNTIMES, OnnxRuntimeUnavailable, type OnnxRuntimeKind, type OnnxSession, type OnnxSessionOptions, type OnnxTensor } from './runtime.js';
export { describeModel, type ModelInfo, type TensorInfo } from './model-info.js';
export { loadFeeds, parseInputSpec, type InputSpec } from './feeds.js';
export { EXPORTABLE_OPS } from './lower.js';
export { ONNX_OPSET, ONNX_IR_VERSION } from './proto.js';
