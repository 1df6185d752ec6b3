import {
  decodeEvent, decodeLoaderMessage, decodeTrainerMessage, encodeBatch, encodeControl, encodeEvent, PROTOCOL_VERSION,
} from '../src';
import type { BatchPayload } from '../src';

function payload(over: Partial<BatchPayload> = {}): BatchPayload {
  const n = 2;
  const images = new Uint8Array(n * 4 * 5 * 3).map((_, i) => i % 256);
  return {
    runId: 'r1', epoch: 0, index: 1, batchCount: 3, shape: [n, 4, 5, 3], labelMode: 'binary',
    classNames: ['Cat', 'Dog'], images, labels: new Float32Array([0, 1]), ...over,
  };
}

function withHeader(frames: Buffer[], edit: (h: Record<string, unknown>) => void): Buffer[] {
  const h = JSON.parse((frames[0] as Buffer).toString()) as Record<string, unknown>;
  edit(h);
  return [Buffer.from(JSON.stringify(h)), ...frames.slice(1)];
}

function rejected(frames: Buffer[]): string {
  const d = decodeLoaderMessage(frames);
  if (d.ok) throw new Error(`expected a rejection, got ${d.message.type}`);
  return d.reason;
}

describe('batch round trip', () => {
  test('binary batch decodes to the same pixels and labels', () => {
    const p = payload();
    const d = decodeLoaderMessage(encodeBatch(p));
    expect(d.ok).toBe(true);
    if (!d.ok || d.message.type !== 'batch') throw new Error('not a batch');
    expect(d.message.header).toMatchObject({ v: PROTOCOL_VERSION, epoch: 0, index: 1, shape: [2, 4, 5, 3], labelsShape: [2] });
    expect(Array.from(d.message.images)).toEqual(Array.from(p.images));
    expect(Array.from(d.message.labels)).toEqual([0, 1]);
  });

  test('categorical labels from an unaligned buffer are copied, not viewed', () => {
    const frames = encodeBatch(payload({ labelMode: 'categorical', classNames: ['a', 'b', 'c'], labels: new Float32Array([0, 0, 1, 1, 0, 0]) }));
    // Put the labels frame at an odd byte offset, as a received Buffer may be.
    const backing = Buffer.alloc((frames[2] as Buffer).length + 1);
    (frames[2] as Buffer).copy(backing, 1);
    const odd = backing.subarray(1);
    expect(odd.byteOffset % 4).not.toBe(0);
    const d = decodeLoaderMessage([frames[0] as Buffer, frames[1] as Buffer, odd]);
    if (!d.ok || d.message.type !== 'batch') throw new Error(d.ok ? 'not a batch' : d.reason);
    expect(Array.from(d.message.labels)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(d.message.header.labelsShape).toEqual([2, 3]);
  });

  test('int labels within the class range pass', () => {
    const d = decodeLoaderMessage(encodeBatch(payload({ labelMode: 'int', classNames: ['a', 'b', 'c'], labels: new Float32Array([2, 0]) })));
    expect(d.ok).toBe(true);
  });
});

describe('rejections: frames', () => {
  const good = () => encodeBatch(payload());
  test('empty message', () => expect(rejected([])).toMatch(/empty message/));
  test('batch with 2 frames', () => expect(rejected(good().slice(0, 2))).toMatch(/2 frames, expected 3/));
  test('batch with 4 frames', () => expect(rejected([...good(), Buffer.from('x')])).toMatch(/4 frames, expected 3/));
  test('heartbeat with an extra frame', () => expect(rejected([...encodeControl({ type: 'heartbeat' }), Buffer.from('x')])).toMatch(/2 frames, expected 1/));
  test('empty header frame', () => expect(rejected([Buffer.alloc(0)])).toMatch(/empty header/));
  test('garbage bytes', () => expect(rejected([Buffer.from([0xff, 0x00, 0x13, 0x37, 0x80])])).toMatch(/UTF-8|JSON/));
  test('random bytes in every frame', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const frames = [1, 2, 3].map((k) => Buffer.from(Array.from({ length: 7 * k + seed }, (_, i) => (i * 131 + seed * 17) % 256)));
      expect(decodeLoaderMessage(frames.slice(0, (seed % 3) + 1)).ok).toBe(false);
    }
  });
  test('not JSON', () => expect(rejected([Buffer.from('{"v":1,"type":"batch"')])).toMatch(/not JSON/));
  test('JSON but not an object', () => expect(rejected([Buffer.from('[1,2]')])).toMatch(/not a JSON object/));
  test('header too large', () => expect(rejected([Buffer.alloc(300 * 1024, 0x20)])).toMatch(/exceeds/));
});

describe('rejections: header fields', () => {
  const good = () => encodeBatch(payload());
  test('wrong version', () => expect(rejected(withHeader(good(), (h) => { h.v = 2; }))).toMatch(/protocol version 2 is not 1/));
  test('missing version', () => expect(rejected(withHeader(good(), (h) => { delete h.v; }))).toMatch(/protocol version/));
  test('unknown type', () => expect(rejected(withHeader(good(), (h) => { h.type = 'pixels'; }))).toMatch(/unknown message type/));
  test('dtype other than uint8', () => expect(rejected(withHeader(good(), (h) => { h.dtype = 'float32'; }))).toMatch(/"dtype" must be "uint8"/));
  test('labels dtype other than float32', () => expect(rejected(withHeader(good(), (h) => { h.labelsDtype = 'int32'; }))).toMatch(/labelsDtype/));
  test('shape with 3 dimensions', () => expect(rejected(withHeader(good(), (h) => { h.shape = [2, 4, 15]; }))).toMatch(/"shape" must be/));
  test('shape with a zero', () => expect(rejected(withHeader(good(), (h) => { h.shape = [2, 0, 5, 3]; }))).toMatch(/"shape" must be/));
  test('shape with a fraction', () => expect(rejected(withHeader(good(), (h) => { h.shape = [2, 4.5, 5, 3]; }))).toMatch(/"shape" must be/));
  test('4 channels', () => expect(rejected(withHeader(good(), (h) => { h.shape = [2, 4, 5, 4]; }))).toMatch(/4 channels/));
  test('index beyond batchCount', () => expect(rejected(withHeader(good(), (h) => { h.index = 3; }))).toMatch(/"index" must be an integer in \[0, 2\]/));
  test('negative epoch', () => expect(rejected(withHeader(good(), (h) => { h.epoch = -1; }))).toMatch(/"epoch"/));
  test('unknown label mode', () => expect(rejected(withHeader(good(), (h) => { h.labelMode = 'soft'; }))).toMatch(/labelMode/));
  test('missing runId', () => expect(rejected(withHeader(good(), (h) => { delete h.runId; }))).toMatch(/"runId"/));
  test('labelsShape not matching the label mode', () => expect(rejected(withHeader(good(), (h) => { h.labelsShape = [2, 2]; }))).toMatch(/labelsShape/));
  test('binary labels with three classes', () => expect(rejected(withHeader(good(), (h) => { h.classNames = ['a', 'b', 'c']; }))).toMatch(/binary labels need 2 classes/));
});

describe('rejections: sizes and values', () => {
  const good = () => encodeBatch(payload());
  test('pixel frame shorter than the shape says (truncated)', () => {
    const f = good();
    expect(rejected([f[0] as Buffer, (f[1] as Buffer).subarray(0, 100), f[2] as Buffer])).toMatch(/pixel frame has 100 bytes, .* needs 120/);
  });
  test('pixel frame longer than the shape says', () => {
    const f = good();
    expect(rejected([f[0] as Buffer, Buffer.concat([f[1] as Buffer, Buffer.alloc(3)]), f[2] as Buffer])).toMatch(/needs 120/);
  });
  test('header says more images than the pixels hold', () => expect(rejected(withHeader(good(), (h) => { h.shape = [3, 4, 5, 3]; h.labelsShape = [3]; }))).toMatch(/pixel frame/));
  test('labels frame truncated mid-float', () => {
    const f = good();
    expect(rejected([f[0] as Buffer, f[1] as Buffer, (f[2] as Buffer).subarray(0, 6)])).toMatch(/labels frame has 6 bytes/);
  });
  test('binary label outside {0, 1}', () => expect(rejected(encodeBatch(payload({ labels: new Float32Array([0, 2]) })))).toMatch(/label 1 is 2/));
  test('NaN label', () => expect(rejected(encodeBatch(payload({ labels: new Float32Array([Number.NaN, 1]) })))).toMatch(/label 0 is NaN/));
  test('categorical row not one-hot', () => {
    const p = payload({ labelMode: 'categorical', classNames: ['a', 'b', 'c'], labels: new Float32Array([0, 1, 1, 1, 0, 0]) });
    expect(rejected(encodeBatch(p))).toMatch(/row 0 is not one-hot/);
  });
});

describe('control messages and events', () => {
  const dataset = { classNames: ['Cat', 'Dog'], size: 10, numBatches: 2, batchSize: 8, imageSize: [16, 16] as [number, number], seed: 1, validationSplit: 0.2, labelMode: 'binary' as const, augment: 'none' };
  test('hello round trip', () => {
    const d = decodeLoaderMessage(encodeControl({ type: 'hello', loaderId: 'l1', incarnation: 'x', window: 4, dataset }));
    expect(d).toEqual({ ok: true, message: { v: 1, type: 'hello', loaderId: 'l1', incarnation: 'x', window: 4, dataset } });
  });
  test('hello without a dataset', () => {
    expect(rejected([Buffer.from(JSON.stringify({ v: 1, type: 'hello', loaderId: 'l', incarnation: 'i', window: 2 }))])).toMatch(/"dataset" must be an object/);
  });
  test('hello with a zero window', () => {
    expect(rejected(encodeControl({ type: 'hello', loaderId: 'l1', incarnation: 'x', window: 0, dataset }))).toMatch(/"window"/);
  });
  test('trainer messages: assign decodes, assign without index is rejected', () => {
    expect(decodeTrainerMessage(encodeControl({ type: 'assign', runId: 'r', epoch: 1, index: 2 }))).toEqual({ ok: true, message: { v: 1, type: 'assign', runId: 'r', epoch: 1, index: 2 } });
    const bad = decodeTrainerMessage([Buffer.from('{"v":1,"type":"assign","runId":"r","epoch":1}')]);
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/"index"/) });
  });
  test('events: checkpoint round trip, topic/type mismatch and missing metrics rejected', () => {
    const ev = { type: 'checkpoint' as const, runId: 'r', epoch: 2, epochs: 5, dir: '/x/save_at_2', metrics: { loss: 0.5, accuracy: 0.75 } };
    expect(decodeEvent(encodeEvent(ev))).toEqual({ ok: true, message: { v: 1, ...ev } });
    const f = encodeEvent(ev);
    expect(decodeEvent([Buffer.from('pawpipe.done'), f[1] as Buffer]).ok).toBe(false);
    expect(decodeEvent([f[0] as Buffer, Buffer.from('{"v":1,"type":"checkpoint","runId":"r","epoch":1,"epochs":2,"dir":"d"}')])).toEqual({ ok: false, reason: expect.stringMatching(/metrics/) });
    expect(decodeEvent([f[0] as Buffer]).ok).toBe(false);
  });
});
