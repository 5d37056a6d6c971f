/**
 * The chaos suite's random user operations, from a seeded PRNG so a failing run can be replayed:
 * scale a workload, edit its pod template (a rolling update), edit its policy (which clusters,
 * in which order), delete its template and create it again. Pure: the list is made up front
 * from a model of the hub, and applying it is the runner's job.
 */

export type PolicyShape = 'idc-then-bj' | 'bj-then-idc' | 'idc-only' | 'bj-only';
export const POLICY_SHAPES: readonly PolicyShape[] = [
  'idc-then-bj',
  'bj-then-idc',
  'idc-only',
  'bj-only',
];

export type Operation =
  | { op: 'scale'; workload: string; replicas: number }
  | { op: 'edit-template'; workload: string; image: string }
  | { op: 'edit-policy'; workload: string; shape: PolicyShape }
  | { op: 'delete'; workload: string }
  | { op: 'create'; workload: string; replicas: number; image: string };

export interface WorkloadModel {
  name: string;
  exists: boolean;
  replicas: number;
  image: string;
  shape: PolicyShape;
}

export const MAX_REPLICAS = 6;

export function workloadName(i: number): string {
  return `w${String(i).padStart(2, '0')}`;
}

export function imageOf(version: number): string {
  return `example.invalid/app:${version}`;
}

/** The starting fleet: `count` workloads, 1-3 replicas each, spread over the policy shapes. */
export function initialWorkloads(count: number, random: () => number): WorkloadModel[] {
  return Array.from({ length: count }, (_, i) => ({
    name: workloadName(i),
    exists: true,
    replicas: 1 + Math.floor(random() * 3),
    image: imageOf(1),
    shape: POLICY_SHAPES[i % POLICY_SHAPES.length] ?? 'idc-then-bj',
  }));
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * `count` operations over `model` (updated in place, so it ends as the hub should). A deleted
 * workload's next operation is always its creation, so every workload comes back.
 */
export function generateOperations(
  model: WorkloadModel[],
  count: number,
  random: () => number,
): Operation[] {
  const ops: Operation[] = [];
  let version = 1;
  for (let i = 0; i < count; i++) {
    const w = pick(model, random);
    if (!w.exists) {
      w.exists = true;
      ops.push({ op: 'create', workload: w.name, replicas: w.replicas, image: w.image });
      continue;
    }
    const r = random();
    if (r < 0.4) {
      let replicas = Math.floor(random() * (MAX_REPLICAS + 1));
      if (replicas === w.replicas) replicas = (replicas + 1) % (MAX_REPLICAS + 1);
      w.replicas = replicas;
      ops.push({ op: 'scale', workload: w.name, replicas });
    } else if (r < 0.6) {
      w.image = imageOf(++version);
      ops.push({ op: 'edit-template', workload: w.name, image: w.image });
    } else if (r < 0.85) {
      const shape = pick(
        POLICY_SHAPES.filter((s) => s !== w.shape),
        random,
      );
      w.shape = shape;
      ops.push({ op: 'edit-policy', workload: w.name, shape });
    } else {
      w.exists = false;
      ops.push({ op: 'delete', workload: w.name });
    }
  }
  // The suite checks a fleet where every workload exists.
  for (const w of model)
    if (!w.exists) {
      w.exists = true;
      ops.push({ op: 'create', workload: w.name, replicas: w.replicas, image: w.image });
    }
  return ops;
}

/** Clusters of a policy shape, in group order, as [group name, cluster aliases]. */
export function groupsOf(shape: PolicyShape): [string, string[]][] {
  switch (shape) {
    case 'idc-then-bj':
      return [
        ['idc', ['idc']],
        ['cloud', ['bj']],
      ];
    case 'bj-then-idc':
      return [
        ['cloud', ['bj']],
        ['idc', ['idc']],
      ];
    case 'idc-only':
      return [['idc', ['idc']]];
    case 'bj-only':
      return [['cloud', ['bj']]];
  }
}
