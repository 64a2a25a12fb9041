/**
 * Public API of the hub client: fetch a repository's model files from the Hugging Face hub into the standard
 * HF cache (shared with Python's huggingface_hub), with resume, verification, retries and progress.
 * Everything else in src/hub is an implementation detail.
 */
export { ensureModelFiles, downloadHubFile, hubFileUrl } from './download.js';
export type { EnsuredModelFiles, HubFileRequest, HubFileResult } from './download.js';
export type { HubOptions } from './settings.js';
export { HubError, isHubError } from './errors.js';
export type { HubErrorCode, NotFoundKind } from './errors.js';
export { WEIGHTS_FILE, CONFIG_FILE, PREPROCESSOR_CONFIG_FILE, DEFAULT_REVISION } from './repo-files.js';
export type { HubRepoRequest, ModelFile } from './repo-files.js';
export { resolveHubCacheDir, resolveHfHome, resolveEndpoint, isOfflineEnv, resolveToken, DEFAULT_ENDPOINT } from './cache-dir.js';
export type { Env } from './cache-dir.js';
export { repoFolderName } from './cache-layout.js';
export { formatProgress, formatBytes, formatDuration } from './progress.js';
export type { DownloadProgress, ProgressCallback, FormatProgressOptions } from './progress.js';
