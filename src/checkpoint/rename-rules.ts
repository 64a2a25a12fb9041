// Rename tables as data: each rule pairs a timm tensor name with the stored name(s) that hold
// it, `{i}` standing for a block index. From one table come both directions: timm -> stored
// (to check and read what a config needs) and stored -> timm (to infer the architecture and
// to spot tensors no rule places).

import type { LayoutDefinition, StoredPlacement } from './types.js';

export interface RenameRule {
  readonly timm: string;
  /** Several names: parts concatenated along dim 0, in this order. */
  readonly stored: readonly string[];
}

/** A Linear / LayerNorm / conv module: its `.weight` and `.bias` under both names. */
export function moduleRules(timmModule: string, storedModule: string): RenameRule[] {
  return ['weight', 'bias'].map((param) => ({ timm: `${timmModule}.${param}`, stored: [`${storedModule}.${param}`] }));
}

// Canonical decimal only ("01" is not block 1), so a name maps back to exactly itself.
const INDEX = '(0|[1-9][0-9]*)';

interface CompiledPattern {
  readonly regex: RegExp;
  readonly fill: (index: string | undefined) => string;
}

function compile(pattern: string): CompiledPattern {
  const escaped = pattern
    .split('{i}')
    .map((piece) => piece.replace(/[.*+?^$()[\]\\|]/g, '\\$&'))
    .join(INDEX);
  return { regex: new RegExp(`^${escaped}$`), fill: (index) => pattern.replaceAll('{i}', index ?? '') };
}

/** The two lookups of a rule table (the rest of a LayoutDefinition is layout-specific). */
export function namingFromRules(rules: readonly RenameRule[]): Pick<LayoutDefinition, 'storedNamesOf' | 'place'> {
  const compiled = rules.map((rule) => ({ timm: compile(rule.timm), stored: rule.stored.map(compile) }));
  return {
    storedNamesOf(timmName) {
      for (const rule of compiled) {
        const match = rule.timm.regex.exec(timmName);
        if (match !== null) return rule.stored.map((part) => part.fill(match[1]));
      }
      return undefined;
    },
    place(storedName): StoredPlacement | undefined {
      for (const rule of compiled) {
        for (const [part, pattern] of rule.stored.entries()) {
          const match = pattern.regex.exec(storedName);
          if (match !== null) return { timmName: rule.timm.fill(match[1]), part, parts: rule.stored.length };
        }
      }
      return undefined;
    },
  };
}
