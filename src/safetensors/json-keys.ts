// JSON.parse silently keeps the last of two equal keys; the safetensors format forbids
// duplicates (a second 'blocks.0.attn.qkv.weight' would otherwise shadow the first unnoticed).
// This scanner walks the raw JSON text and reports the first key repeated within one object.

/** Returns the first duplicated key of any object in `json`, or null. Assumes `json` parses. */
export function findDuplicateKey(json: string): string | null {
  // One Set of seen keys per open object; null for an open array.
  const scopes: (Set<string> | null)[] = [];
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '{') scopes.push(new Set());
    else if (c === '[') scopes.push(null);
    else if (c === '}' || c === ']') scopes.pop();
    else if (c === '"') {
      const end = endOfString(json, i);
      const scope = scopes[scopes.length - 1];
      if (scope && nextNonSpace(json, end) === ':') {
        const key = JSON.parse(json.slice(i, end)) as string;
        if (scope.has(key)) return key;
        scope.add(key);
      }
      i = end;
      continue;
    }
    i++;
  }
  return null;
}

/** Index just past the closing quote of the string literal that opens at `start`. */
function endOfString(json: string, start: number): number {
  let i = start + 1;
  while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i + 1;
}

function nextNonSpace(json: string, from: number): string | undefined {
  let i = from;
  while (i < json.length && ' \t\r\n'.includes(json[i])) i++;
  return json[i];
}
