import { ImageCache } from '../src/image-cache';
import { SlabPool } from '../src/slab';

describe('SlabPool', () => {
  it('hands out disjoint slots of one size, across slab boundaries, and reuses released ones', () => {
    const pool = new SlabPool();
    const size = 5 * 1024 * 1024 + 3; // 6 slots to a 32 MiB slab: 14 slots span 3 slabs
    const slots = Array.from({ length: 14 }, (_, i) => {
      const s = pool.alloc(size);
      s.fill(i + 1);
      return s;
    });
    slots.forEach((s, i) => {
      expect(s.length).toBe(size);
      expect(s[0]).toBe(i + 1);
      expect(s[size - 1]).toBe(i + 1);
    });
    expect(new Set(slots.map((s) => s.buffer)).size).toBe(3);
    pool.release(slots[4]!);
    expect(pool.alloc(size)).toBe(slots[4]);
    expect(pool.alloc(7).length).toBe(7);
  });
});

describe('ImageCache memory', () => {
  it('keeps its own copy: the caller may reuse or drop the buffer it handed over', async () => {
    const cache = new ImageCache({ memoryBytes: 1000 });
    const data = new Uint8Array([1, 2, 3, 4]);
    await cache.set('k', data);
    data.fill(9);
    expect([...(await cache.get('k', 4))!]).toEqual([1, 2, 3, 4]);
    await cache.set('k', new Uint8Array([5, 6, 7, 8])); // a changed file replaces its entry
    expect([...(await cache.get('k', 4))!]).toEqual([5, 6, 7, 8]);
    expect(cache.stats.bytes).toBe(4);
  });
});
