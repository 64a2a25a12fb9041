// Result output formats. stdout carries results only; in text mode failures go to stderr,
// in the machine formats they are records of their own so a pipeline sees every input.
//   text:   an aligned table per image
//   json:   one document {model, weights, results: [...]} written at the end
//   ndjson: one line per image, written as soon as it is done
//   csv:    a header, then one row per image and rank (one row with the error for a failure)

import type { InputError, Prediction } from '../app/index.js';
import { escapeControl } from './escape.js';
import type { CliIO } from './io.js';

export const OUTPUT_FORMATS = ['text', 'json', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type ImageResult = { file: string; predictions: Prediction[] } | { file: string; error: InputError };

export interface ResultWriter {
  write(result: ImageResult): void;
  end(): void;
}

export interface RunInfo {
  model: string;
  weights: string;
}

export function createResultWriter(format: OutputFormat, io: CliIO, info: RunInfo): ResultWriter {
  switch (format) {
    case 'text':
      return textWriter(io);
    case 'json':
      return jsonWriter(io, info);
    case 'ndjson':
      return ndjsonWriter((line) => io.stdout.write(line));
    case 'csv':
      return csvWriter(io);
  }
}

/** One line per result, each given to `write` whole (stdout, or a --resume file). */
export function ndjsonWriter(write: (line: string) => void): ResultWriter {
  return { write: (r) => write(`${JSON.stringify(r)}\n`), end() {} };
}

function textWriter(io: CliIO): ResultWriter {
  let first = true;
  return {
    write(result) {
      if ('error' in result) {
        io.stderr.write(`${escapeControl(result.error.message)}\n`);
        return;
      }
      if (!first) io.stdout.write('\n');
      first = false;
      io.stdout.write(`${escapeControl(result.file)}\n${textTable(result.predictions)}`);
    },
    end() {},
  };
}

/** rank, probability (%), index, class: numbers right-aligned, the class name last. */
export function textTable(predictions: readonly Prediction[]): string {
  const rows = predictions.map((p) => [String(p.rank), `${(p.probability * 100).toFixed(2)}%`, String(p.index), escapeControl(p.label)]);
  const header = ['rank', 'probability', 'index', 'class'];
  const widths = [0, 1, 2].map((c) => Math.max(header[c].length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `  ${cells.slice(0, 3).map((cell, c) => cell.padStart(widths[c])).join('  ')}  ${cells[3]}\n`;
  return line(header) + rows.map(line).join('');
}

function jsonWriter(io: CliIO, info: RunInfo): ResultWriter {
  const results: ImageResult[] = [];
  return {
    write: (r) => results.push(r),
    end: () => io.stdout.write(`${JSON.stringify({ model: info.model, weights: info.weights, results }, null, 2)}\n`),
  };
}

const CSV_COLUMNS = ['file', 'rank', 'index', 'label', 'probability', 'logit', 'error_code', 'error'];

function csvWriter(io: CliIO): ResultWriter {
  io.stdout.write(`${CSV_COLUMNS.join(',')}\n`);
  const row = (cells: (string | number)[]) => io.stdout.write(`${cells.map(csvCell).join(',')}\n`);
  return {
    write(result) {
      if ('error' in result) {
        row([result.file, '', '', '', '', '', result.error.code, result.error.message]);
        return;
      }
      for (const p of result.predictions) row([result.file, p.rank, p.index, p.label, p.probability, p.logit, '', '']);
    },
    end() {},
  };
}

/** RFC 4180: quote cells holding a comma or quote; double the quotes inside. Control characters (line breaks too) are escaped first. */
export function csvCell(value: string | number): string {
  const text = escapeControl(String(value));
  return /[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The shortest decimal that reads back as the same float32 (at most 9 significant digits), so a
 * reader that stores it in a float32 gets the model's value exactly, in about half the text of
 * the float64 digits.
 */
export function float32Text(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(value.toPrecision(digits));
    if (Math.fround(short) === value) return String(short);
  }
  return String(Number(value.toPrecision(9)));
}

/** embed's ndjson line: {"file": ..., "features": [...]}, or the error record classify writes. */
export function featuresLine(result: { file: string; features: Float32Array } | { file: string; error: InputError }): string {
  if ('error' in result) return `${JSON.stringify(result)}\n`;
  return `{"file":${JSON.stringify(result.file)},"features":[${Array.from(result.features, float32Text).join(',')}]}\n`;
}
