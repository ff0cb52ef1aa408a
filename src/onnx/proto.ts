/**
 * The ONNX protobuf schema, through the maintained `onnx-proto` package (protobufjs code
 * generated from the official onnx.proto), plus the few constructors the exporter needs.
 *
 * Versions lamkit writes: IR version 8 and the default-domain opset {@link ONNX_OPSET} (17).
 * Opset 17 is old enough for every onnxruntime of the last years and new enough for
 * ReduceSum-with-axes-input and LayerNormalization; Gelu is only an op from opset 20, so it is
 * written as its exact erf decomposition (0.5·x·(1 + erf(x/√2))).
 */
import onnxProto from 'onnx-proto';

/** The generated `onnx` namespace (ModelProto, GraphProto, NodeProto, TensorProto, …). */
export const onnx = onnxProto.onnx;
/** Message types, e.g. `OnnxNs.ModelProto`. */
export type { onnx as OnnxNs } from 'onnx-proto';

/** Default-domain opset lamkit exports. */
export const ONNX_OPSET = 17;
/** ONNX IR version of the files lamkit writes (IR 8 = ONNX 1.10+). */
export const ONNX_IR_VERSION = 8;

/** TensorProto element types lamkit uses. */
export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
} as const;

/** Element type number → the name onnxruntime-js and .npy use. */
export const DT_NAME: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

/** A protobuf int64 (number or Long) as a JS number. */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  // onnx raw_data is little-endian; every platform Node ships on is little-endian.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** A TensorProto (initializer or constant) from a typed array; `dims` must multiply to its length. */
export function tensorProto(
  name: string,
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array,
  dims: readonly number[],
): InstanceType<typeof onnx.TensorProto> {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`tensorProto '${name}': dims [${dims.join(',')}] hold ${n} elements, data has ${data.length}`);
  const dataType =
    data instanceof Float32Array ? DT.FLOAT : data instanceof Int32Array ? DT.INT32 : data instanceof BigInt64Array ? DT.INT64 : DT.UINT8;
  return onnx.TensorProto.create({ name, dims: [...dims], dataType, rawData: bytesOf(data) });
}

/** An attribute value lamkit writes. */
export type AttrValue = number | string | readonly number[] | { floats: readonly number[] };

/**
 * An AttributeProto: a string is STRING, an integral number INT, a non-integral number FLOAT,
 * an array INTS, `{ floats }` FLOATS. Use {@link floatAttr} for a FLOAT that happens to be
 * integral (LeakyRelu alpha = 1).
 */
export function attrProto(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? onnx.AttributeProto.create({ name, type: T.INT, i: v })
      : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...v.floats] });
  return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...(v as readonly number[])] });
}

/** A FLOAT attribute even for integral values. */
export function floatAttr(name: string, f: number): InstanceType<typeof onnx.AttributeProto> {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
}

/** A dimension: a number is fixed, a string is a symbolic (dynamic) dimension such as 'batch'. */
export type Dim = number | string;

/** A ValueInfoProto for a tensor input/output. */
export function valueInfo(name: string, elemType: number, dims: readonly Dim[], doc?: string): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    docString: doc ?? '',
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}
