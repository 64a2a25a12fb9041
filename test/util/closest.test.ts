import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from '../../src/util/closest.js';

describe('edit distance helpers', () => {
  it('computes Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('orders candidates by distance and limits the list', () => {
    expect(closestNames('abd', ['xyz', 'abc', 'abx', 'zzzz'], 2)).toEqual(['abc', 'abx']);
  });

  it('ignores case and treats - and _ alike', () => {
    expect(closestNames('VIT-BASE', ['vit_base', 'vit_tiny'], 1)).toEqual(['vit_base']);
  });

  it('suggests nothing that is not plausibly a typo', () => {
    expect(closestNames('resnet50', ['vit_base_patch16_384', 'vit_tiny_patch16_224'])).toEqual([]);
  });
});
