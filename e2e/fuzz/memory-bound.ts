/**
 * A controller process's memory across a fuzz run: its resident set size (from /proc) sampled
 * after the first batch (warm: caches filled, code compiled), in the middle and at the end.
 * `make fuzz` (SPILLWAY_FUZZ_MEMORY_CHECK=1) fails when the middle or the end exceeds the warm
 * figure by more than half plus 64 MiB: garbage collection timing alone moves RSS by tens of
 * MiB, while a leak per object keeps growing with the run's thousands of objects. `make test`
 * runs too few batches to tell, so it only prints the figures. Test infrastructure only.
 */
import { rssBytes } from '../fleet/processes.js';

export const MEMORY_CHECK = process.env.SPILLWAY_FUZZ_MEMORY_CHECK === '1';
const MIB = 2 ** 20;

export interface MemorySample {
  label: string;
  rss: number;
}

/** The most the controller may hold after warm-up: 1.5 x the warm RSS + 64 MiB. */
export function memoryLimit(warm: number): number {
  return warm * 1.5 + 64 * MIB;
}

export class MemoryWatch {
  readonly samples: MemorySample[] = [];

  constructor(private readonly pid: number) {}

  /** Samples after batch `b` of `batches` when it is the first, the middle or the last one. */
  afterBatch(b: number, batches: number): void {
    const middle = Math.floor((batches - 1) / 2);
    // With few batches they coincide: the warm sample comes first, then the end.
    const at = new Map([
      [middle, `middle (after batch ${middle + 1})`],
      [batches - 1, `end (after batch ${batches})`],
      [0, 'warm (after batch 1)'],
    ]);
    const label = at.get(b);
    if (label) this.samples.push({ label, rss: rssBytes(this.pid) });
  }

  /** One line for the run's output, e.g. "warm 120 MiB, middle 131 MiB, end 129 MiB". */
  report(): string {
    return this.samples.map((s) => `${s.label} ${Math.round(s.rss / MIB)} MiB`).join(', ');
  }

  /** Samples past the bound (none when the check is off or nothing was sampled). */
  excess(): MemorySample[] {
    const [warm, ...later] = this.samples;
    if (!MEMORY_CHECK || !warm) return [];
    return later.filter((s) => s.rss > memoryLimit(warm.rss));
  }
}
