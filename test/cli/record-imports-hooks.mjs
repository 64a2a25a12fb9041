// Module resolution hooks (see record-imports.mjs): record each resolved URL, change nothing.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.VIT_RECORD_IMPORTS) appendFileSync(process.env.VIT_RECORD_IMPORTS, `${result.url}\n`);
  return result;
}
