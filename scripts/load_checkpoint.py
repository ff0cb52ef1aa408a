#!/usr/bin/env python3
"""Load a lamkit checkpoint (RUN_DIR/checkpoint.safetensors) in PyTorch with nothing but
struct, json, hashlib and torch.frombuffer -- no safetensors package needed. Tensor names and
metadata are documented in docs/CHECKPOINTS.md.

    python3 scripts/load_checkpoint.py RUN_DIR                  # metadata and tensor list
    python3 scripts/load_checkpoint.py RUN_DIR --tensor NAME…   # a JSON line {name, dtype, shape, data} per tensor
    python3 scripts/load_checkpoint.py RUN_DIR --verify         # also check lamkit's sha256 entries

As a module:
    from load_checkpoint import load_checkpoint, parameters
    tensors, metadata = load_checkpoint('runs/a')        # {'param/idm.W1': tensor [8, 64], ...}
    params = parameters(tensors)                         # {'idm.W1': ..., 'fdm.C': ...}
"""
import hashlib
import json
import os
import struct
import sys

import torch

DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
    'U8': torch.uint8, 'BOOL': torch.bool,
}


class CheckpointError(ValueError):
    pass


def _canonical_sha(header):
    """sha256 of the header with keys sorted and lamkit.header_sha256 left out (as lamkit writes it)."""
    h = dict(header)
    meta = dict(h.get('__metadata__', {}))
    meta.pop('lamkit.header_sha256', None)
    h['__metadata__'] = meta
    text = json.dumps(h, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def load_checkpoint(path, verify=False):
    """Returns (tensors by name, metadata dict of strings). verify=True checks the sha256 entries."""
    if os.path.isdir(path):
        path = os.path.join(path, 'checkpoint.safetensors')
    with open(path, 'rb') as f:
        blob = f.read()
    if len(blob) < 8:
        raise CheckpointError(f'{path}: {len(blob)} bytes, shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', blob[:8])
    if n > len(blob) - 8:
        raise CheckpointError(f'{path}: header length {n} runs past the end of the file ({len(blob)} bytes)')
    header = json.loads(blob[8:8 + n].decode('utf-8'))
    meta = header.get('__metadata__', {})
    if verify and meta.get('lamkit.header_sha256') != _canonical_sha(header):
        raise CheckpointError(f'{path}: the header fails its sha256 checksum')
    shas = json.loads(meta.get('lamkit.tensor_sha256', '{}'))
    # frombuffer wants a writable buffer; the tensors share this one copy of the data block.
    data = bytearray(blob[8 + n:])
    tensors = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        begin, end = e['data_offsets']
        if end > len(data):
            raise CheckpointError(f"{path}: tensor '{name}' ends at byte {end} of a {len(data)}-byte data block (truncated)")
        if verify and hashlib.sha256(data[begin:end]).hexdigest() != shas.get(name):
            raise CheckpointError(f"{path}: tensor '{name}' fails its sha256 checksum")
        dtype = DTYPES[e['dtype']]
        if end > begin:
            t = torch.frombuffer(data, dtype=dtype, count=(end - begin) // torch.tensor([], dtype=dtype).element_size(), offset=begin)
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(e['shape'])
    return tensors, meta


def parameters(tensors):
    """The model parameters by their lamkit names (param/<name> without the prefix)."""
    return {k[len('param/'):]: v for k, v in tensors.items() if k.startswith('param/')}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description='Read a lamkit checkpoint with plain struct/json/torch.')
    ap.add_argument('path', help='run directory or .safetensors file')
    ap.add_argument('--tensor', action='append', help='print this tensor as a JSON line (repeatable)')
    ap.add_argument('--verify', action='store_true', help="check lamkit's sha256 entries")
    a = ap.parse_args(argv)
    try:
        tensors, meta = load_checkpoint(a.path, verify=a.verify)
    except (CheckpointError, OSError, ValueError, KeyError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    if a.tensor:
        missing = [n for n in a.tensor if n not in tensors]
        if missing:
            print(f"error: no tensor '{missing[0]}'; have {', '.join(tensors)}", file=sys.stderr)
            return 1
        for name in a.tensor:
            t = tensors[name]
            dtype = next(k for k, v in DTYPES.items() if v == t.dtype)
            print(json.dumps({'name': name, 'dtype': dtype, 'shape': list(t.shape), 'data': t.flatten().tolist()}))
        return 0
    print(json.dumps({
        'metadata': {k: v for k, v in meta.items() if not k.startswith('lamkit.')},
        'tensors': {k: {'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape)} for k, v in tensors.items()},
        'verified': a.verify,
    }, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
