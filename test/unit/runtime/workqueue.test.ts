import { describe, expect, it, jest } from '@jest/globals';
import { MAX_TIMER_MS, WorkQueue } from '../../../src/runtime/workqueue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** The keys in the order one worker processes them, after the adds `setup` makes. */
async function order(setup: (q: WorkQueue) => void): Promise<string[]> {
  const q = new WorkQueue();
  const seen: string[] = [];
  setup(q);
  const running = q.run(async (k) => {
    seen.push(k);
    return undefined;
  });
  await tick(20);
  q.shutdown();
  await running;
  return seen;
}

describe('WorkQueue', () => {
  it('de-duplicates a key added many times before it is processed', async () => {
    expect(
      await order((q) => {
        for (let i = 0; i < 5; i++) q.add('a');
        q.add('b');
      }),
    ).toEqual(['a', 'b']);
  });

  it('never runs one key on two workers at once, and re-runs it if added meanwhile', async () => {
    const q = new WorkQueue();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const running = q.run(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) q.add('a'); // arrives while processing
      await tick(10);
      active--;
      return undefined;
    }, 4);
    q.add('a');
    await tick(60);
    q.shutdown();
    await running;
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys on all workers at once, each key still on one worker at a time', async () => {
    const q = new WorkQueue();
    const activeKeys = new Map<string, number>();
    let active = 0;
    let maxActive = 0;
    let maxSameKey = 0;
    const runs = new Map<string, number>();
    const running = q.run(async (k) => {
      active++;
      maxActive = Math.max(maxActive, active);
      activeKeys.set(k, (activeKeys.get(k) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, activeKeys.get(k) ?? 0);
      runs.set(k, (runs.get(k) ?? 0) + 1);
      if ((runs.get(k) ?? 0) === 1) q.add(k); // every key's event arrives while it runs
      await tick(10);
      activeKeys.set(k, (activeKeys.get(k) ?? 0) - 1);
      active--;
      return undefined;
    }, 8);
    for (let i = 0; i < 8; i++) q.add(`k${i}`);
    await tick(120);
    q.shutdown();
    await running;
    expect(maxActive).toBe(8);
    expect(maxSameKey).toBe(1);
    expect([...runs.values()]).toEqual(Array(8).fill(2));
  });

  it('retries a failing key with doubling delays, capped, and forgets failures after a success', async () => {
    const delays: number[] = [];
    const q = new WorkQueue({ baseDelayMs: 2, maxDelayMs: 10, onRetry: (_k, d) => delays.push(d) });
    let calls = 0;
    const running = q.run(async (k) => {
      calls++;
      if (calls === 5) q.add(k); // one more run after the first success
      if (calls < 5 || calls === 6) throw new Error('boom');
      return undefined;
    });
    q.add('a');
    await tick(150);
    q.add('a');
    await tick(20);
    q.shutdown();
    await running;
    expect(delays.slice(0, 5)).toEqual([2, 4, 8, 10, 2]); // back to the base after a success
    expect(calls).toBeGreaterThanOrEqual(6);
  });

  it('honours requeueAfterMs and reports each result', async () => {
    const results: string[] = [];
    const q = new WorkQueue({ onResult: (r) => results.push(r) });
    let n = 0;
    const running = q.run(async () => (++n < 3 ? { requeueAfterMs: 5 } : undefined));
    q.add('a');
    await tick(80);
    q.shutdown();
    await running;
    expect(n).toBe(3);
    expect(results).toEqual(['requeue', 'requeue', 'success']);
  });

  it('does not retry an error classified as final; retries conflicts and other errors', async () => {
    const results: string[] = [];
    const q = new WorkQueue({
      baseDelayMs: 1,
      classify: (err) => (err as Error).message as 'drop' | 'conflict' | 'error',
      onResult: (r, _s, _e, key) => results.push(`${key} ${r}`),
    });
    const runs = new Map<string, number>();
    const running = q.run(async (k) => {
      const n = (runs.get(k) ?? 0) + 1;
      runs.set(k, n);
      if (n === 1) throw new Error(k);
      return undefined;
    });
    q.add('drop');
    q.add('conflict');
    q.add('error');
    await tick(80);
    q.shutdown();
    await running;
    expect(Object.fromEntries(runs)).toEqual({ drop: 1, conflict: 2, error: 2 });
    expect(results.sort()).toEqual([
      'conflict conflict',
      'conflict success',
      'drop dropped',
      'error error',
      'error success',
    ]);
  });

  it('keeps the earliest of two delayed adds', async () => {
    const q = new WorkQueue();
    const seen: number[] = [];
    const t0 = Date.now();
    const running = q.run(async () => {
      seen.push(Date.now() - t0);
      return undefined;
    });
    q.addAfter('a', 200);
    q.addAfter('a', 10);
    await tick(100);
    q.shutdown();
    await running;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThan(200);
  });
});

describe('WorkQueue priorities', () => {
  it('serves a change to one object before a sweep queued earlier, each list in order', async () => {
    expect(
      await order((q) => {
        for (const k of ['r1', 'r2', 'r3']) q.add(k, 'low');
        q.add('change1');
        q.add('change2', 'high');
      }),
    ).toEqual(['change1', 'change2', 'r1', 'r2', 'r3']);
  });

  it('moves a swept key up when it changes, and runs it once', async () => {
    expect(
      await order((q) => {
        for (const k of ['r1', 'r2', 'r3']) q.add(k, 'low');
        q.add('r3');
      }),
    ).toEqual(['r3', 'r1', 'r2']);
  });

  it('keeps a changed key high when a sweep adds it again', async () => {
    expect(
      await order((q) => {
        q.add('r1', 'low');
        q.add('c');
        q.add('c', 'low');
      }),
    ).toEqual(['c', 'r1']);
  });

  it('counts keys, not places, in its depth', () => {
    const depths: number[] = [];
    const q = new WorkQueue({ onDepth: (d) => depths.push(d) });
    q.add('a', 'low');
    q.add('a');
    q.add('a', 'low');
    q.add('b', 'low');
    expect(q.depth).toBe(2);
    expect(depths).toEqual([1, 1, 2]);
    q.shutdown();
  });

  it('re-runs a key added during its processing with the highest priority it was added with', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    const running = q.run(async (k) => {
      seen.push(k);
      if (k === 'busy' && seen.length === 1) {
        q.add('busy', 'low');
        q.add('busy'); // a change arrives while it runs
        q.add('swept', 'low');
      }
      return undefined;
    });
    q.add('busy');
    await tick(20);
    q.shutdown();
    await running;
    expect(seen).toEqual(['busy', 'busy', 'swept']);
  });
});

describe('WorkQueue.addAfter with delays past setTimeout range', () => {
  it('does not run a key due in 1000 hours at once (no timer overflow)', async () => {
    const q = new WorkQueue<string>();
    const seen: string[] = [];
    const running = q.run(async (k) => {
      seen.push(k);
      return undefined;
    });
    q.addAfter('far', 1000 * 3_600_000);
    await tick(50);
    q.shutdown();
    await running;
    expect(seen).toEqual([]);
  });

  it('re-arms in steps and queues the key once the whole delay has passed', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const depths: number[] = [];
      const q = new WorkQueue<string>({ onDepth: (d) => depths.push(d) });
      q.addAfter('far', 3 * MAX_TIMER_MS);
      jest.advanceTimersByTime(2 * MAX_TIMER_MS);
      expect(depths).toEqual([]);
      jest.advanceTimersByTime(MAX_TIMER_MS + 1);
      expect(depths).toEqual([1]);
      q.shutdown();
    } finally {
      jest.useRealTimers();
    }
  });
});
