// What the hub client is asked for: a repository at a revision, and the files to make local.
// It knows file names and roles, never models: app/model-ids.ts turns a model id into this.

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const PREPROCESSOR_CONFIG_FILE = 'preprocessor_config.json';
export const DEFAULT_REVISION = 'main';

export interface ModelFile {
  /** Path of the file inside the repository. */
  path: string;
  role: 'weights' | 'config' | 'preprocessor';
  /** Optional files are fetched when the repository has them; their absence is not an error. */
  optional: boolean;
}

export interface HubRepoRequest {
  /** Hub repository, ORG/NAME. */
  repo: string;
  /** Branch, tag or commit hash. */
  revision: string;
  files: readonly ModelFile[];
}

/** The most bytes accepted for any one file: far above any checkpoint vit reads, far below a stream meant to fill the disk. */
export const MAX_FILE_BYTES = 64 * 2 ** 30;
/** JSON files are read whole into memory by their users (a config.json is a few kB). */
export const MAX_JSON_BYTES = 16 * 2 ** 20;

/** The size limit for a file, announced or not: a larger announcement is an error, and a body is cut there. */
export function sizeLimitFor(file: string): number {
  return file.toLowerCase().endsWith('.json') ? MAX_JSON_BYTES : MAX_FILE_BYTES;
}
