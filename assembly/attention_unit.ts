// The work unit of both attention ops, OP_ATTENTION (attention.ts, float32) and OP_ATTENTION_I8
// (attention_i8.ts): a run of query blocks (NR queries each) of one (batch, head). This reads
// the ATT_ arguments both share, finds the unit's head and blocks, and checks the thread's cached
// head: each thread lays out a head's keys and values in its scratch once and keeps them while its
// next units are on the same head (a (job, head) tag at the start of its scratch).

import { arg, argF32, argPtr, ctrlInt } from './args';
import { attentionBlocks } from './attention';
import { attentionI8Blocks } from './attention_i8';
import { QKV_PARTS } from './qkv';
import { NR } from './microkernel';
import {
  ATT_BLOCKS_PER_UNIT, ATT_HEAD_DIM, ATT_HEADS, ATT_OUT, ATT_PROBS, ATT_QKV, ATT_QUERIES, ATT_SCALE, ATT_SCRATCH, ATT_SCRATCH_STRIDE, ATT_TOKENS,
  ATT_UNITS_PER_HEAD, CTRL_SERIAL, SCRATCH_TAG_KEY, SCRATCH_TAG_SERIAL,
} from './protocol';

export function attentionUnit(ctrl: usize, tid: i32, unit: i32, int8: bool): void {
  const T = arg(ctrl, ATT_TOKENS);
  const Tq = arg(ctrl, ATT_QUERIES);
  const H = arg(ctrl, ATT_HEADS);
  const hd = arg(ctrl, ATT_HEAD_DIM);
  const blocksPerUnit = arg(ctrl, ATT_BLOCKS_PER_UNIT);
  const unitsPerHead = arg(ctrl, ATT_UNITS_PER_HEAD);
  const scratch = argPtr(ctrl, ATT_SCRATCH) + <usize>tid * argPtr(ctrl, ATT_SCRATCH_STRIDE);

  const bh = unit / unitsPerHead;
  const b = bh / H;
  const h = bh % H;
  const dim = H * hd;
  const tokenStride = <usize>dim * 4 * QKV_PARTS;
  // This head's query of the image's first token (its key and value follow, dim floats apart).
  const q = argPtr(ctrl, ATT_QKV) + <usize>b * T * tokenStride + <usize>h * hd * 4;
  // This head's output for the image's first query.
  const out = argPtr(ctrl, ATT_OUT) + (<usize>b * Tq * dim + <usize>h * hd) * 4;

  const serial = ctrlInt(ctrl, CTRL_SERIAL);
  const stale = load<i32>(scratch + SCRATCH_TAG_SERIAL) != serial || load<i32>(scratch + SCRATCH_TAG_KEY) != bh;
  store<i32>(scratch + SCRATCH_TAG_SERIAL, serial);
  store<i32>(scratch + SCRATCH_TAG_KEY, bh);

  const firstBlock = (unit % unitsPerHead) * blocksPerUnit;
  const lastBlock = min((Tq + NR - 1) / NR, firstBlock + blocksPerUnit);
  const probs = argPtr(ctrl, ATT_PROBS);
  const scale = argF32(ctrl, ATT_SCALE);
  if (int8) attentionI8Blocks(ctrl, scratch, stale, q, tokenStride, out, probs, bh, T, Tq, hd, dim, scale, firstBlock, lastBlock);
  else attentionBlocks(scratch, stale, q, tokenStride, out, probs, bh, T, Tq, hd, dim, scale, firstBlock, lastBlock);
}
