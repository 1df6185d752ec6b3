import { MT19937 } from '../src/mt19937';
import { epochOrder } from '../src/epoch-order';

// Expected values: numpy's legacy RandomState (TOOLCHAIN.md "Keras behaviour worth matching";
// the init_by_array ones were printed by numpy 1.24.2).
describe('MT19937 = numpy RandomState', () => {
  it('gives numpy\'s first outputs for seed 1337', () => {
    const r = MT19937.fromSeed(1337);
    expect([1, 2, 3, 4, 5].map(() => r.nextUint32())).toEqual([1125387415, 2407456957, 681542492, 913057000, 1194544295]);
  });

  it('shuffles like RandomState(seed).shuffle', () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(MT19937.fromSeed(1337).shuffle(range(10))).toEqual([6, 3, 0, 4, 5, 2, 1, 9, 8, 7]);
    expect(MT19937.fromSeed(1337).shuffle(range(25))).toEqual([
      13, 4, 5, 17, 3, 0, 11, 12, 2, 14, 15, 1, 19, 21, 10, 16, 6, 9, 24, 20, 18, 22, 7, 8, 23,
    ]);
    expect(MT19937.fromSeed(0).shuffle(range(10))).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    const big = MT19937.fromSeed(1337).shuffle(range(23410));
    expect(big.slice(0, 8)).toEqual([5760, 12621, 8981, 13012, 19086, 16054, 12337, 6953]);
    expect(big.slice(-4)).toEqual([19623, 9448, 860, 3223]);
  });

  it('seeds from an array like RandomState([k0, k1, ...]) (init_by_array)', () => {
    expect(MT19937.fromArray([1337, 2]).permutation(10)).toEqual([7, 5, 2, 3, 0, 8, 9, 4, 6, 1]);
    const r = MT19937.fromArray([7, 0, 3]);
    expect([r.nextDouble(), r.nextDouble(), r.nextDouble()]).toEqual([0.34124965520609973, 0.650058273130859, 0.505080944884531]);
    expect(epochOrder(1337, 2, 10)).toEqual([7, 5, 2, 3, 0, 8, 9, 4, 6, 1]);
  });

  it('draws bounded integers without bias (random_interval rejects above max)', () => {
    const r = MT19937.fromSeed(42);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[r.randomInterval(2)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(MT19937.fromSeed(1).randomInterval(0)).toBe(0);
  });

  it('refuses seeds numpy refuses', () => {
    expect(() => MT19937.fromSeed(-1)).toThrow('Seed must be between 0 and 2**32 - 1');
    expect(() => MT19937.fromSeed(2 ** 32)).toThrow(RangeError);
    expect(() => MT19937.fromSeed(1.5)).toThrow(RangeError);
  });
});
