import { createHmac } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * Checks batches of (key, stored HMAC, message) lines and answers the indexes whose HMAC does not match.
 * `audit verify` reads and links entries on the main thread while a worker thread computes the HMACs of the
 * previous batch, which roughly doubles throughput on two cores. The worker is plain JavaScript evaluated from
 * a string (only node:crypto and node:worker_threads), so it runs the same under tsx, vitest and the single
 * binary. A line is `keyIndex \t hmac \t message`: JSON never contains a raw tab or newline, so neither can
 * appear inside a message.
 */
export interface HmacBatchChecker {
  /** Resolves with the indexes (ascending) of the lines whose HMAC does not match. */
  check(lines: string[]): Promise<number[]>;
  close(): Promise<void>;
}

// The one implementation, kept as source text: the worker evaluates it, and this thread builds its inline
// checker from the same text, so the two can never drift. (Stringifying a compiled function is not safe: test
// runners and bundlers rewrite the names it imports.)
const CHECK_LINES_SOURCE = `function checkLines(createHmac, keys, lines) {
  const bad = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const tab1 = line.indexOf('\\t');
    const tab2 = line.indexOf('\\t', tab1 + 1);
    const computed = createHmac('sha256', keys[Number(line.slice(0, tab1))]).update(line.slice(tab2 + 1)).digest('hex');
    if (computed !== line.slice(tab1 + 1, tab2)) bad.push(i);
  }
  return bad;
}`;

type CheckLines = (hmac: typeof createHmac, keys: Buffer[], lines: string[]) => number[];
// eslint-disable-next-line no-new-func
const checkLines = new Function(`${CHECK_LINES_SOURCE}; return checkLines;`)() as CheckLines;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const keys = workerData.keys.map((k) => Buffer.from(k, 'hex'));
${CHECK_LINES_SOURCE}
parentPort.on('message', ({ id, lines }) => parentPort.postMessage({ id, bad: checkLines(createHmac, keys, lines.split('\\n')) }));
`;

/** In this thread: for small chains a worker's start-up costs more than it saves. */
export function inlineHmacChecker(keys: Buffer[]): HmacBatchChecker {
  return { check: async (lines) => checkLines(createHmac, keys, lines), close: async () => undefined };
}

export function workerHmacChecker(keys: Buffer[]): HmacBatchChecker {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { keys: keys.map((k) => k.toString('hex')) } });
  } catch {
    return inlineHmacChecker(keys);
  }
  worker.unref();
  let nextId = 0;
  const waiting = new Map<number, { resolve(bad: number[]): void; reject(err: Error): void }>();
  worker.on('message', ({ id, bad }: { id: number; bad: number[] }) => {
    waiting.get(id)?.resolve(bad);
    waiting.delete(id);
  });
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`HMAC worker exited with ${code}`)));
  return {
    check(lines) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, lines: lines.join('\n') });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
