// "Did you mean ...?" suggestions for mistyped names.

/** Levenshtein edit distance (insert, delete, substitute = 1 each). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Up to `count` candidates nearest to `input`, closest first, within a distance that still looks
 * like a typo. Case-insensitive, and '-' and '_' count as the same (people mix them).
 */
export function closestNames(input: string, candidates: Iterable<string>, count = 3): string[] {
  const normalize = (s: string) => s.toLowerCase().replace(/-/g, '_');
  const target = normalize(input);
  const limit = Math.max(3, Math.floor(input.length / 3));
  return [...candidates]
    .map((name) => ({ name, distance: editDistance(target, normalize(name)) }))
    .filter((c) => c.distance <= limit)
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, count)
    .map((c) => c.name);
}
