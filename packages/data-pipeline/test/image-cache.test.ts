import { ImageCache } from '../src/image-cache';

const image = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('ImageCache (memory)', () => {
  it('keeps copies, not the callers\' arrays, and serves them back byte for byte', async () => {
    const cache = new ImageCache({ memoryBytes: 1000 });
    const a = image(100, 7);
    await cache.set('a', a);
    a.fill(0); // the caller reuses its buffer
    const got = await cache.get('a', 100);
    expect(got).toBeDefined();
    expect([...got!].every((v) => v === 7)).toBe(true);
    expect(cache.stats).toMatchObject({ memoryHits: 1, entries: 1, bytes: 100 });
  });

  it('keeps the images admitted first up to the bound, and none past it', async () => {
    const cache = new ImageCache({ memoryBytes: 1050 });
    for (let i = 0; i < 15; i++) await cache.set(`k${i}`, image(100, i));
    expect(cache.stats.entries).toBe(10);
    expect(cache.stats.bytes).toBe(1000);
    expect(cache.stats.notAdmitted).toBe(5);
    for (let i = 0; i < 10; i++) expect((await cache.get(`k${i}`, 100))![99]).toBe(i);
    expect(await cache.get('k12', 100)).toBeUndefined();
  });

  it('spreads images over slabs without overlap; the slabs together stay within the bound', async () => {
    // Slabs of 250 bytes hold two 100-byte images each (50 left unused): 4 slabs in a bound of 1050.
    const cache = new ImageCache({ memoryBytes: 1050, slabBytes: 250 });
    for (let i = 0; i < 12; i++) await cache.set(`k${i}`, image(100, i + 1));
    expect(cache.stats.entries).toBe(8);
    for (let i = 0; i < 8; i++) {
      const got = (await cache.get(`k${i}`, 100))!;
      expect([got.length, got[0], got[99]]).toEqual([100, i + 1, i + 1]);
    }
    expect(await cache.get('k8', 100)).toBeUndefined();
  });

  it('replaces a changed entry (its old bytes stay spent) and never writes one image over another', async () => {
    const cache = new ImageCache({ memoryBytes: 400 });
    await cache.set('a', image(100, 1));
    await cache.set('b', image(100, 2));
    await cache.set('a', image(100, 3));
    expect(cache.stats).toMatchObject({ entries: 2, bytes: 200 });
    expect((await cache.get('a', 100))![0]).toBe(3);
    expect((await cache.get('b', 100))![0]).toBe(2);
    await cache.set('c', image(100, 4)); // the 4th 100 bytes of the bound
    await cache.set('d', image(100, 5)); // past it: 'a''s first copy still holds its bytes
    expect((await cache.get('c', 100))![0]).toBe(4);
    expect(await cache.get('d', 100)).toBeUndefined();
    expect((await cache.get('b', 100))![0]).toBe(2);
  });

  it('keeps nothing with a bound of 0, and an image larger than the bound is never kept', async () => {
    const none = new ImageCache({ memoryBytes: 0 });
    await none.set('a', image(10, 1));
    expect(await none.get('a', 10)).toBeUndefined();
    const small = new ImageCache({ memoryBytes: 50 });
    await small.set('big', image(51, 1));
    await small.set('ok', image(50, 2));
    expect(await small.get('big', 51)).toBeUndefined();
    expect((await small.get('ok', 50))![49]).toBe(2);
  });
});
