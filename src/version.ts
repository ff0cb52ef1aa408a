/** lamkit's version, written into checkpoints, reports and ONNX metadata. */
export const LAMKIT_VERSION = '0.1.0';
