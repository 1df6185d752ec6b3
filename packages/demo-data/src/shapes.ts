/**
 * The class cue: each class is an animal head whose SHAPE differs (ears, snout), drawn in head
 * units (head radius 1, y down, before tilt). Colour, size, position, tilt and background come
 * from the same distributions for every class, so only the shape tells classes apart, and the
 * parts are big enough (about a head radius) to survive downscaling to 32x32.
 */
export type Paint = 'fur' | 'dark' | 'light' | 'inner' | 'eye';

export interface Part {
  paint: Paint;
  /** Inside test in head units. */
  inside(u: number, v: number): boolean;
}

export interface Shape {
  name: string;
  /** Parts in painting order (later parts cover earlier ones). */
  parts: Part[];
  /** Half the bounding box size in head units (for placement). */
  extent: number;
}

const circle = (cx: number, cy: number, r: number) => (u: number, v: number) => (u - cx) ** 2 + (v - cy) ** 2 <= r * r;
const ellipse = (cx: number, cy: number, a: number, b: number, angle = 0) => {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return (u: number, v: number) => {
    const x = (u - cx) * c + (v - cy) * s;
    const y = -(u - cx) * s + (v - cy) * c;
    return (x * x) / (a * a) + (y * y) / (b * b) <= 1;
  };
};
const triangle = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => (u: number, v: number) => {
  const d1 = (u - bx) * (ay - by) - (ax - bx) * (v - by);
  const d2 = (u - cx) * (by - cy) - (bx - cx) * (v - cy);
  const d3 = (u - ax) * (cy - ay) - (cx - ax) * (v - ay);
  const neg = d1 < 0 || d2 < 0 || d3 < 0;
  const pos = d1 > 0 || d2 > 0 || d3 > 0;
  return !(neg && pos);
};
const both = (f: (u: number, v: number) => boolean) => (u: number, v: number) => f(u, v) || f(-u, v);

const head: Part = { paint: 'fur', inside: circle(0, 0, 1) };
const eyes = (y: number, r: number): Part => ({ paint: 'eye', inside: both(circle(0.38, y, r)) });

/** Cat: two tall pointed triangular ears. */
const cat: Shape = {
  name: 'cat',
  extent: 1.8,
  parts: [
    { paint: 'fur', inside: both(triangle(0.25, -0.8, 0.98, -0.3, 0.8, -1.75)) },
    { paint: 'inner', inside: both(triangle(0.42, -0.8, 0.86, -0.5, 0.76, -1.4)) },
    head,
    eyes(-0.1, 0.14),
    { paint: 'dark', inside: triangle(-0.14, 0.22, 0.14, 0.22, 0, 0.38) },
  ],
};

/** Dog: long floppy ears hanging down the sides and a long pale snout with a dark nose. */
const dog: Shape = {
  name: 'dog',
  extent: 1.9,
  parts: [
    { paint: 'dark', inside: (u, v) => ellipse(0.98, 0.45, 0.34, 0.95, -0.25)(u, v) || ellipse(-0.98, 0.45, 0.34, 0.95, 0.25)(u, v) },
    head,
    { paint: 'light', inside: ellipse(0, 0.72, 0.48, 0.62) },
    { paint: 'eye', inside: ellipse(0, 0.45, 0.2, 0.14) },
    eyes(-0.2, 0.13),
  ],
};

/** Rabbit: two long narrow upright ears. */
const rabbit: Shape = {
  name: 'rabbit',
  extent: 2.1,
  parts: [
    { paint: 'fur', inside: both(ellipse(0.38, -1.35, 0.2, 0.75, 0.1)) },
    { paint: 'inner', inside: both(ellipse(0.38, -1.35, 0.1, 0.55, 0.1)) },
    head,
    eyes(-0.1, 0.13),
  ],
};

/** Bear: small round ears and a round pale muzzle. */
const bear: Shape = {
  name: 'bear',
  extent: 1.5,
  parts: [
    { paint: 'fur', inside: both(circle(0.72, -0.72, 0.36)) },
    { paint: 'inner', inside: both(circle(0.72, -0.72, 0.18)) },
    head,
    { paint: 'light', inside: circle(0, 0.38, 0.4) },
    { paint: 'eye', inside: circle(0, 0.25, 0.12) },
    eyes(-0.25, 0.11),
  ],
};

/** Mouse: very large round ears at the sides of the head. */
const mouse: Shape = {
  name: 'mouse',
  extent: 1.9,
  parts: [
    { paint: 'fur', inside: both(circle(0.95, -0.6, 0.68)) },
    { paint: 'inner', inside: both(circle(0.95, -0.6, 0.42)) },
    head,
    eyes(-0.05, 0.12),
    { paint: 'eye', inside: circle(0, 0.55, 0.1) },
  ],
};

/** Bird: no ears, a long pointed beak to one side and a crest. */
const bird: Shape = {
  name: 'bird',
  extent: 1.9,
  parts: [
    { paint: 'dark', inside: triangle(-0.2, -0.9, 0.2, -0.9, 0.05, -1.6) },
    head,
    { paint: 'light', inside: triangle(0.75, -0.15, 0.75, 0.25, 1.85, 0.1) },
    { paint: 'eye', inside: circle(0.3, -0.2, 0.14) },
  ],
};

/** One distinct shape per class, in the order the classes are given. */
export const SHAPES: readonly Shape[] = [cat, dog, rabbit, bear, mouse, bird];
