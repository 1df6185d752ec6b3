import { parentPort } from 'node:worker_threads';
import { makeKaggleFile, type KaggleJob } from './kaggle-picture';
import { makePicture, type PictureJob } from './picture';

/** A generation worker thread: makes the pictures it is sent, answering with their ids. */
parentPort!.on('message', (m: { id: number; job: PictureJob | KaggleJob; kaggle?: boolean }) => {
  (m.kaggle ? makeKaggleFile(m.job) : makePicture(m.job)).then(
    () => parentPort!.postMessage({ id: m.id }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
