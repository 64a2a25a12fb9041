// Class names for the classifier's outputs: a labels file (one name per line, in class-index
// order), a config's label_names, or the bundled ImageNet-1k list.

import { IMAGENET_LABELS_PATH } from '../paths.js';
import { readRegularFile } from '../util/regular-file.js';

/** The largest labels file read (ImageNet-21k's names are under 1 MB). */
export const MAX_LABELS_BYTES = 16 * 2 ** 20;

export { IMAGENET_LABELS_PATH };

export class LabelsError extends Error {
  override name = 'LabelsError';
}

/**
 * Read a labels file: one class name per line. Blank lines at the end (an editor's final newline,
 * or a few more) are not names; a blank line before the last name is an error.
 */
export function readLabelsFile(path: string, expectedCount: number): string[] {
  const text = readRegularFile(path, MAX_LABELS_BYTES, (problem) => new LabelsError(`${path}: labels file: ${problem}`)).toString('utf8');
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length !== expectedCount) {
    throw new LabelsError(`${path}: the labels file has ${lines.length} lines but the model has ${expectedCount} classes (one name per line expected)`);
  }
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank >= 0) throw new LabelsError(`${path}: line ${blank + 1} is empty; every class needs a name`);
  return lines;
}

/**
 * The labels to use and where they came from: an explicit file wins, then the config's
 * label_names, then the bundled ImageNet list for 1000-class models, else "class N".
 */
export function resolveLabels(
  numClasses: number,
  options: { labelsPath?: string; configLabels?: readonly string[]; configSource?: string },
): { labels: string[]; from: string; warning?: string } {
  if (options.labelsPath !== undefined) return { labels: readLabelsFile(options.labelsPath, numClasses), from: `--labels ${options.labelsPath}` };
  const configSource = options.configSource ?? 'the config';
  if (options.configLabels !== undefined && options.configLabels.length === numClasses) {
    return { labels: [...options.configLabels], from: `the config's class names (${configSource})` };
  }
  const warning =
    options.configLabels !== undefined
      ? `${configSource}: ${options.configLabels.length} class names for ${numClasses} classes: not used (give --labels to name the classes)`
      : undefined;
  return { ...defaultLabels(numClasses), ...(warning !== undefined ? { warning } : {}) };
}

function defaultLabels(numClasses: number): { labels: string[]; from: string } {
  if (numClasses === 0) return { labels: [], from: 'none (no classifier head)' };
  if (numClasses === 1000) return { labels: readLabelsFile(IMAGENET_LABELS_PATH, 1000), from: 'the bundled ImageNet-1k names' };
  return { labels: Array.from({ length: numClasses }, (_, i) => `class ${i}`), from: `none: "class 0" .. "class ${numClasses - 1}"` };
}
