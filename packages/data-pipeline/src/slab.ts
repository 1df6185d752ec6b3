/**
 * Fixed-size slots carved out of large ArrayBuffers, for the image cache: thousands of
 * same-sized images kept for the whole run, allocated one by one between the decoder's
 * short-lived half-megabyte buffers, fragment malloc's heap so that RSS grows well past the
 * bytes held (bench:scale: 3.2 GiB for 1.85 GiB of images). Slabs hold them contiguously.
 */
const SLAB_BYTES = 32 * 1024 * 1024;

export class SlabPool {
  private readonly pools = new Map<number, { slabs: ArrayBuffer[]; next: number; free: Uint8Array[] }>();

  /** A zeroed slot of `size` bytes (a slab's worth of slots is reserved at a time). */
  alloc(size: number): Uint8Array {
    let p = this.pools.get(size);
    if (!p) {
      p = { slabs: [], next: 0, free: [] };
      this.pools.set(size, p);
    }
    const reused = p.free.pop();
    if (reused) return reused;
    const perSlab = Math.max(1, Math.floor(SLAB_BYTES / size));
    if (p.next % perSlab === 0) p.slabs.push(new ArrayBuffer(perSlab * size));
    const slab = p.slabs[p.slabs.length - 1]!;
    const slot = new Uint8Array(slab, (p.next % perSlab) * size, size);
    p.next++;
    return slot;
  }

  /** Gives a slot back for reuse by the next alloc of its size. */
  release(slot: Uint8Array): void {
    this.pools.get(slot.length)?.free.push(slot);
  }
}
