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
