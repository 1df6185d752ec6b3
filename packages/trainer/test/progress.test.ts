import { KerasProgress, formatEta, formatMetric, formatTimePerStep, progressBar } from '../src';

test('the bar matches Keras Progbar', () => {
  expect(progressBar(586, 586)).toBe('586/586 [==============================]');
  expect(progressBar(12, 586)).toBe(' 12/586 [..............................]');
  expect(progressBar(293, 586)).toBe('293/586 [==============>...............]');
});

test('numbers are formatted like Keras', () => {
  expect(formatMetric(0.62334)).toBe('0.6233');
  expect(formatMetric(0.00001234)).toBe('1.2340e-05');
  expect(formatTimePerStep(0.139)).toBe('139ms/step');
  expect(formatTimePerStep(2.4)).toBe('2s/step');
  expect(formatTimePerStep(0.0004)).toBe('400us/step');
  expect(formatEta(83)).toBe('1:23');
  expect(formatEta(7)).toBe('7s');
  expect(formatEta(3725)).toBe('1:02:05');
});

test('TTY: live bar with carriage returns, final line in Keras form', () => {
  let text = '';
  const p = new KerasProgress({ write: (s: string) => { text += s; return true; }, isTTY: true });
  p.epochStart(0, 50, 3);
  p.step(1, { loss: 0.7, accuracy: 0.5 });
  p.step(2, { loss: 0.65, accuracy: 0.55 });
  p.step(3, { loss: 0.6233, accuracy: 0.67 });
  const line = p.epochEnd(3, { loss: 0.6233, accuracy: 0.67 });
  expect(text.startsWith('Epoch 1/50\n\r1/3 [=========>....................] - ETA: ')).toBe(true);
  expect(line).toMatch(/^3\/3 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: 0\.6233 - accuracy: 0\.6700$/);
  expect(text.endsWith('\n')).toBe(true);
});

test('not a TTY: no carriage returns, one line per epoch', () => {
  let text = '';
  const p = new KerasProgress({ write: (s: string) => { text += s; return true; }, isTTY: false });
  p.epochStart(1, 2, 2);
  p.step(1, { loss: 1, accuracy: 0 });
  p.step(2, { loss: 1, accuracy: 0 });
  p.epochEnd(2, { loss: 1, accuracy: 0 });
  expect(text).not.toContain('\r');
  expect(text.split('\n').filter(Boolean)).toHaveLength(2);
});
