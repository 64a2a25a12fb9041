// Packing a quantized Linear (src/backend/quantize.ts) into the int8 panels that
// assembly/gemm_i8.ts reads, once at load. A panel covers NR output columns:
//   [scale: NR f32][bias: NR f32][rowSum: NR i32][KP/QK steps: NR lanes of 4 bytes]
// where lane (step s, column j) holds the QK values W[col0 + j][s*QK .. s*QK + QK) (int8 when
// QK = 4, int16 when QK = 2). Columns past outDim and K past inDim stay zero (the arena is fresh).

import type { QuantizedWeights } from '../quantize.js';

/** Values per quantized row once padded: K rounded up to a multiple of 4 (both builds). */
export function paddedK(inDim: number): number {
  return Math.ceil(inDim / 4) * 4;
}

/** Bytes of one panel of NR columns over inDim inputs. */
export function int8PanelBytes(nr: number, qk: number, inDim: number): number {
  return nr * 12 + (paddedK(inDim) / qk) * nr * 4;
}

export function packInt8Panels(
  buffer: ArrayBufferLike,
  at: number,
  w: QuantizedWeights,
  bias: Float32Array | null,
  outDim: number,
  inDim: number,
  nr: number,
  qk: number,
): void {
  const panelBytes = int8PanelBytes(nr, qk, inDim);
  const f32 = new Float32Array(buffer);
  const i32 = new Int32Array(buffer);
  const body = qk === 4 ? new Int8Array(buffer) : new Int16Array(buffer);
  const bytesPerValue = 4 / qk;
  for (let p = 0; p * nr < outDim; p++) {
    const base = at + p * panelBytes;
    const head = base / 4;
    const bodyStart = (base + nr * 12) / bytesPerValue;
    const cols = Math.min(nr, outDim - p * nr);
    for (let j = 0; j < cols; j++) {
      const o = p * nr + j;
      f32[head + j] = w.scale[o];
      f32[head + nr + j] = bias === null ? 0 : bias[o];
      i32[head + 2 * nr + j] = w.rowSum[o];
      const row = o * inDim;
      for (let k = 0; k < inDim; k++) {
        const s = Math.floor(k / qk);
        body[bodyStart + (s * nr + j) * qk + (k - s * qk)] = w.q[row + k];
      }
    }
  }
}
