// TEMPORARY: the reference backend moved to reference/backend.ts. This re-export keeps the
// importers outside backend/ (src/model/load.ts, test/model/load.test.ts, test/model/parity.test.ts)
// building until they import reference/backend.js themselves; then delete this file.

export { ReferenceBackend } from './reference/backend.js';
