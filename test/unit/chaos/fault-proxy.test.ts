import { describe, expect, it } from '@jest/globals';
import { forwardTime } from '../../../e2e/chaos/fault-proxy.js';
import { prng } from '../../../bench/prng.js';

/** Forward times of chunks arriving every `everyMs`, delayed while `faulty(arrival)`. */
function forwardTimes(count: number, everyMs: number, faulty: (t: number) => boolean): number[] {
  const random = prng(3);
  let last = 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const arrival = i * everyMs;
    const delay = faulty(arrival) ? 100 + random() * 700 : 0;
    last = forwardTime(last, arrival, delay);
    out.push(last);
  }
  return out;
}

describe('fault proxy latency', () => {
  // A watch stream sends 10 chunks a second through 40 s of 100-800 ms latency. The proxy used to
  // wait each chunk's delay after the one before (a cap of ~2 chunks a second): the stream fell
  // further behind the longer the fault ran, minutes behind once it ended.
  const every = 100;
  const faultEnd = 40_000;
  const times = forwardTimes(600, every, (t) => t < faultEnd);

  it('keeps chunks in order and never forwards one before its delay', () => {
    times.slice(1).forEach((t, i) => expect(t).toBeGreaterThanOrEqual(times[i] ?? 0));
    times.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(i * every));
  });

  it('holds a chunk at most the largest latency, however busy the stream', () => {
    times.forEach((t, i) => expect(t - i * every).toBeLessThanOrEqual(800));
  });

  it('forwards at once after the faults end', () => {
    const after = times.slice(faultEnd / every + 10);
    after.forEach((t, i) => expect(t).toBe((faultEnd / every + 10 + i) * every));
  });
});
