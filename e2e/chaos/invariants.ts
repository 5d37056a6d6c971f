/**
 * The chaos suite's invariants, as pure functions over a snapshot of the fleet (hub templates and
 * bindings, member copies and pods) and over the controller's log. Each returns the violations it
 * finds, one sentence each; an empty list means the invariant holds.
 */

/** A hub Deployment template. */
export interface TemplateView {
  namespace: string;
  name: string;
  replicas: number;
  /** The pod template's first container image: what a template edit changes. */
  image: string;
}

export interface BindingView {
  namespace: string;
  name: string;
  /** The template it binds (namespace is the binding's). */
  resourceName: string;
  replicas: number;
  clusters: { name: string; replicas: number }[];
}

/** An object in a member carrying Spillway's managed-by label. */
export interface CopyView {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  /** spec.replicas, for kinds with replicas. */
  replicas?: number;
  image?: string;
  /** The fleet.spillway.dev/binding annotation: namespace/name of its binding. */
  binding?: string;
  uid: string;
}

export interface PodView {
  cluster: string;
  namespace: string;
  /** The `app` label: the workload. */
  app: string;
  ready: boolean;
  terminating: boolean;
  /** uid of the Deployment owning the pod's ReplicaSet, when both are known. */
  deploymentUid?: string;
  /** The ReplicaSet the pod names as its controller no longer exists. */
  replicaSetGone?: boolean;
}

export interface FleetSnapshot {
  templates: TemplateView[];
  bindings: BindingView[];
  copies: CopyView[];
  pods: PodView[];
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Invariant names, as the report prints them. */
export const INVARIANTS = {
  bindingSum: "sum of a binding's replicas equals the template's replicas",
  copiesMatch: 'member copies match the binding exactly (replicas, pod template, binding mark)',
  noOrphanCopy: 'no member copy without a binding',
  noStrayObject: 'no Spillway object in a member that no template asks for',
  readyPods: "after settling, Ready pods of each workload's copies equal its replicas",
  noDoubling:
    "at every sampled moment, no workload runs more pods than its replicas plus a rolling update's surge (but for pods a member could not remove: replicas moved off it while it was down, until 30 s after it answers)",
  noRepeatedErrors: 'after settling, no error or warning repeats in the controller log',
} as const;
export type InvariantName = keyof typeof INVARIANTS;

export interface Violation {
  invariant: InvariantName;
  message: string;
}

/** Sum of replicas of every binding equals its template's; a template without binding is one too. */
export function checkBindingSums(s: FleetSnapshot): Violation[] {
  const out: Violation[] = [];
  const byTemplate = new Map(s.bindings.map((b) => [key(b.namespace, b.resourceName), b]));
  for (const t of s.templates) {
    const b = byTemplate.get(key(t.namespace, t.name));
    if (!b) {
      out.push({ invariant: 'bindingSum', message: `${key(t.namespace, t.name)} has no binding` });
      continue;
    }
    const sum = b.clusters.reduce((n, c) => n + c.replicas, 0);
    if (sum !== t.replicas || b.replicas !== t.replicas)
      out.push({
        invariant: 'bindingSum',
        message: `binding ${key(b.namespace, b.name)}: spec.replicas ${b.replicas}, clusters sum ${sum}, template ${t.replicas}`,
      });
  }
  return out;
}

/**
 * Every cluster of a binding with replicas holds a copy with exactly that count, the template's
 * image and the binding's mark; a member holding a copy the binding does not list is a violation.
 */
export function checkCopies(s: FleetSnapshot): Violation[] {
  const out: Violation[] = [];
  const templates = new Map(s.templates.map((t) => [key(t.namespace, t.name), t]));
  const bindings = new Map(s.bindings.map((b) => [key(b.namespace, b.resourceName), b]));
  const copies = new Map(
    s.copies
      .filter((c) => c.kind === 'Deployment')
      .map((c) => [`${c.cluster}|${key(c.namespace, c.name)}`, c]),
  );
  for (const b of s.bindings) {
    const t = templates.get(key(b.namespace, b.resourceName));
    for (const c of b.clusters) {
      const copy = copies.get(`${c.name}|${key(b.namespace, b.resourceName)}`);
      const where = `${key(b.namespace, b.resourceName)} in ${c.name}`;
      if (!copy) {
        if (c.replicas > 0)
          out.push({
            invariant: 'copiesMatch',
            message: `${where}: no copy, binding asks ${c.replicas}`,
          });
        continue;
      }
      if (copy.replicas !== c.replicas)
        out.push({
          invariant: 'copiesMatch',
          message: `${where}: copy has ${copy.replicas ?? '-'} replicas, binding ${c.replicas}`,
        });
      if (t && copy.image !== t.image)
        out.push({
          invariant: 'copiesMatch',
          message: `${where}: copy runs ${copy.image ?? '-'}, template ${t.image}`,
        });
      if (copy.binding !== key(b.namespace, b.name))
        out.push({
          invariant: 'copiesMatch',
          message: `${where}: copy marked for binding ${copy.binding ?? '-'}, not ${key(b.namespace, b.name)}`,
        });
    }
  }
  for (const copy of s.copies) {
    if (copy.kind !== 'Deployment') continue;
    const b = bindings.get(key(copy.namespace, copy.name));
    const where = `${copy.kind} ${key(copy.namespace, copy.name)} in ${copy.cluster}`;
    if (!b) {
      out.push({ invariant: 'noOrphanCopy', message: `${where} has no binding on the hub` });
      continue;
    }
    if (!b.clusters.some((c) => c.name === copy.cluster))
      out.push({
        invariant: 'copiesMatch',
        message: `${where}: its binding does not list ${copy.cluster} (holds ${copy.replicas ?? '-'} replicas)`,
      });
  }
  return out;
}

/** Every Spillway object in a member has a hub template of the same namespace and name. */
export function checkStrayObjects(s: FleetSnapshot): Violation[] {
  const templates = new Set(s.templates.map((t) => key(t.namespace, t.name)));
  return s.copies
    .filter((c) => !templates.has(key(c.namespace, c.name)))
    .map((c) => ({
      invariant: 'noStrayObject' as const,
      message: `${c.kind} ${key(c.namespace, c.name)} in ${c.cluster}: no template asks for it`,
    }));
}

/**
 * Pods of a copy that no longer exists: their ReplicaSet still names the deleted copy as owner,
 * or is gone itself (the collector deletes a deleted copy's ReplicaSet first, then its pods).
 * They are the member's garbage collector's to remove, not replicas of the workload. After a
 * member's API server restarts, its kube-controller-manager's collector can take minutes to get
 * to them.
 */
export function orphanPods(s: Pick<FleetSnapshot, 'pods' | 'copies'>): PodView[] {
  const liveCopies = new Set(s.copies.map((c) => c.uid));
  return s.pods.filter(
    (p) =>
      !p.terminating &&
      (p.replicaSetGone === true ||
        (p.deploymentUid !== undefined && !liveCopies.has(p.deploymentUid))),
  );
}

/**
 * After settling: Ready, non-terminating pods of each workload's copies, over all members, equal
 * its replicas (pods of a deleted copy are counted apart, see orphanPods).
 */
export function checkReadyPods(s: FleetSnapshot): Violation[] {
  const ready = new Map<string, number>();
  const orphans = new Set(orphanPods(s));
  for (const p of s.pods)
    if (p.ready && !p.terminating && !orphans.has(p))
      ready.set(key(p.namespace, p.app), (ready.get(key(p.namespace, p.app)) ?? 0) + 1);
  const out: Violation[] = [];
  for (const t of s.templates) {
    const n = ready.get(key(t.namespace, t.name)) ?? 0;
    if (n !== t.replicas)
      out.push({
        invariant: 'readyPods',
        message: `${key(t.namespace, t.name)}: ${n} Ready pods, replicas ${t.replicas}`,
      });
  }
  const known = new Set(s.templates.map((t) => key(t.namespace, t.name)));
  for (const [k, n] of ready)
    if (!known.has(k))
      out.push({ invariant: 'readyPods', message: `${k}: ${n} Ready pods, no template` });
  return out;
}

/** Deployment's default maxSurge (25%, rounded up) of one member copy. */
export function surgeOf(replicas: number): number {
  return Math.ceil(replicas / 4);
}

/** A member API server's outage, from the suite's fault log: down from `from` until `to`. */
export interface Outage {
  cluster: string;
  from: number;
  /** When it answered again; absent while it is down. */
  to?: number;
}

/** A binding that gave a member fewer replicas than at the sample before (`after`, `at`]. */
export interface ShareDrop {
  /** namespace/name of the template. */
  workload: string;
  cluster: string;
  after: number;
  at: number;
  /** How many replicas the binding took off the member. */
  replicas: number;
}

/**
 * How long after a member answers again its excused pods still are (see excusedPods): the
 * controller notices at its next probe (every 5 s) and then deletes the copy in one reconcile.
 */
export const UNREACHABLE_GRACE_MS = 30_000;
/**
 * A drop seen this shortly before an outage began still counts as made while the member was
 * unreachable: the controller writes the binding first and removes the copy just after.
 */
export const MOVE_MARGIN_MS = 10_000;

const shareKey = (workload: string, cluster: string) => `${workload}|${cluster}`;

/** Each binding's replicas per member (namespace/template|cluster -> replicas). */
export function sharesOf(bindings: readonly BindingView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of bindings)
    for (const c of b.clusters)
      out.set(shareKey(key(b.namespace, b.resourceName), c.name), c.replicas);
  return out;
}

/** Members whose share went down between two samples (a share that vanished went to 0). */
export function shareDrops(
  before: ReadonlyMap<string, number>,
  now: ReadonlyMap<string, number>,
  after: number,
  at: number,
): ShareDrop[] {
  const out: ShareDrop[] = [];
  for (const [k, was] of before) {
    const is = now.get(k) ?? 0;
    if (is >= was) continue;
    const [workload = '', cluster = ''] = k.split('|');
    out.push({ workload, cluster, after, at, replicas: was - is });
  }
  return out;
}

/**
 * Pods the controller cannot have removed yet (namespace/template|cluster -> count): when a
 * binding took replicas off a member while that member's API server was down (per the fault
 * log), its copy can only be scaled in or deleted once it answers again. Until then, and for
 * UNREACHABLE_GRACE_MS after, that member's pods of the workload above its current share are
 * excused, up to the replicas the binding took off it. Nothing else is excused.
 */
export function excusedPods(
  pods: readonly PodView[],
  shares: ReadonlyMap<string, number>,
  drops: readonly ShareDrop[],
  outages: readonly Outage[],
  now: number,
): Map<string, number> {
  const taken = new Map<string, number>();
  for (const d of drops) {
    const during = outages.some(
      (o) =>
        o.cluster === d.cluster &&
        d.at >= o.from - MOVE_MARGIN_MS &&
        (o.to === undefined || (d.after <= o.to && now <= o.to + UNREACHABLE_GRACE_MS)),
    );
    if (!during) continue;
    const k = shareKey(d.workload, d.cluster);
    taken.set(k, (taken.get(k) ?? 0) + d.replicas);
  }
  const present = new Map<string, number>();
  for (const p of pods) {
    const k = shareKey(key(p.namespace, p.app), p.cluster);
    present.set(k, (present.get(k) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [k, n] of taken) {
    const above = (present.get(k) ?? 0) - (shares.get(k) ?? 0);
    if (above > 0) out.set(k, Math.min(above, n));
  }
  return out;
}

/**
 * One sampled moment: live pods per workload (pods of a copy the member still has: a pod of a
 * deleted copy is garbage the member's collector is removing, not a replica) against the most
 * replicas the workload's template had recently (`peak`; scaling down takes a while to reach
 * the members) plus each copy's surge. `excused` (from excusedPods) are not counted.
 */
export function checkDoubling(
  s: Pick<FleetSnapshot, 'pods' | 'copies'>,
  peak: ReadonlyMap<string, number>,
  excused: ReadonlyMap<string, number> = new Map(),
): Violation[] {
  const orphans = new Set(orphanPods(s));
  const perCluster = new Map<string, Map<string, number>>();
  for (const p of s.pods) {
    if (p.terminating || orphans.has(p)) continue;
    const k = key(p.namespace, p.app);
    const counts = perCluster.get(k) ?? new Map<string, number>();
    counts.set(p.cluster, (counts.get(p.cluster) ?? 0) + 1);
    perCluster.set(k, counts);
  }
  const out: Violation[] = [];
  for (const [k, counts] of perCluster) {
    const max = peak.get(k);
    if (max === undefined) continue; // not a workload of the run
    let n = 0;
    let spared = 0;
    for (const [c, m] of counts) {
      const e = Math.min(m, excused.get(shareKey(k, c)) ?? 0);
      n += m - e;
      spared += e;
    }
    // Each copy surges by its own 25%, rounded up: at most one more than 25% of the total.
    const allowed = max + surgeOf(max) + Math.max(0, counts.size - 1);
    if (n > allowed)
      out.push({
        invariant: 'noDoubling',
        message: `${k}: ${n} live pods, at most ${allowed} allowed (replicas up to ${max} plus surge): ${[
          ...counts,
        ]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([c, m]) => `${m} in ${c}`)
          .join(
            ', ',
          )}${spared > 0 ? ` (${spared} excused on a member unreachable when its replicas moved)` : ''}`,
      });
  }
  return out;
}

/** A controller log line (JSON, as the controller writes it). */
export interface LogLine {
  timestamp?: string;
  level?: string;
  message?: string;
  error?: string;
  [field: string]: unknown;
}

/**
 * After `since`: an error or warning with the same message and error text twice is a problem the
 * controller keeps hitting on a settled fleet (a retry loop that never succeeds).
 */
export function checkRepeatedErrors(lines: readonly LogLine[], since: number): Violation[] {
  const seen = new Map<string, number>();
  for (const l of lines) {
    if (l.level !== 'error' && l.level !== 'warn') continue;
    if (!l.timestamp || Date.parse(l.timestamp) < since) continue;
    const k = `${l.level}: ${l.message ?? ''}${l.error ? ` (${l.error})` : ''}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen]
    .filter(([, n]) => n > 1)
    .map(([k, n]) => ({ invariant: 'noRepeatedErrors' as const, message: `${n}x ${k}` }));
}

/** JSON log lines of a file's text; other lines (a stack trace, tsx's output) are skipped. */
export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by a SIGKILL
    }
  }
  return out;
}

/** Every invariant that holds on a settled fleet. */
export function checkSettled(s: FleetSnapshot): Violation[] {
  return [...checkBindingSums(s), ...checkCopies(s), ...checkStrayObjects(s), ...checkReadyPods(s)];
}
