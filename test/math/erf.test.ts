import { describe, expect, it } from 'vitest';
import { erf, gelu } from '../../src/math/erf.js';

// Expected values from CPython's math.erf (an independent implementation: fdlibm's rational
// approximations), printed with repr, so the comparison is to double precision.
const PYTHON_MATH_ERF: [number, number][] = [[0,0.0],[1e-08,1.1283791670955126e-08],[0.01,0.011283415555849616],[0.1,0.1124629160182849],[0.3,0.3286267594591274],[0.5,0.5204998778130465],[0.8,0.7421009647076605],[1,0.8427007929497149],[1.3,0.9340079449406524],[1.7,0.9837904585907745],[2,0.9953222650189527],[2.3,0.9988568234026434],[2.4999,0.9995928300996666],[2.5,0.999593047982555],[2.7,0.9998656672600594],[3,0.9999779095030014],[3.5,0.9999992569016276],[4,0.9999999845827421],[5,0.9999999999984626],[5.9,0.9999999999999999],[6.5,1.0],[-0.5,-0.5204998778130465],[-2.7,-0.9998656672600594]];

describe('erf', () => {
  it.each(PYTHON_MATH_ERF)('erf(%d) matches CPython to 1e-15', (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(1e-15);
  });

  it('is odd and saturates', () => {
    for (const x of [0.2, 1.1, 2.6, 4.2]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('is continuous where the two expansions meet', () => {
    const below = erf(2.5 - 1e-12);
    const above = erf(2.5);
    expect(Math.abs(above - below)).toBeLessThan(1e-14);
  });
});

describe('gelu', () => {
  it('is the exact erf form, not the tanh approximation', () => {
    // PyTorch: torch.nn.functional.gelu(torch.tensor(x, dtype=torch.float64))
    expect(gelu(1)).toBeCloseTo(0.841344746068543, 15);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145702, 15);
    const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expect(Math.abs(gelu(1) - tanhGelu(1))).toBeGreaterThan(1e-5);
  });
});
