/**
 * What Spillway knows about each kind of resource template, in one table (the role Karmada's
 * default resource interpreter plays): whether the kind has replicas and where, which fields the
 * hub's API server generated and a member copy must drop, whether member copies are watched,
 * how their status sums into the hub template's status, and what "up to date" means. Every
 * apiVersion|kind not in the table gets the default entry: copied whole to each chosen cluster,
 * never divided, status not aggregated. Pure: no I/O.
 */
import type { LabelSelector } from '../api/meta.js';
import type { PodTemplateInput } from '../estimator/index.js';
import { divideByWeight } from '../scheduler/divide.js';
import type { TemplateObject } from './member-copy.js';
import type { WorkloadStatus } from './status-aggregate.js';

export interface PodTemplateLike {
  metadata?: { labels?: Record<string, string> };
  spec?: PodTemplateInput['spec'] & { priorityClassName?: string };
}

type Obj = Record<string, unknown>;

/** A member copy as its watch reports it. */
export interface LiveCopy {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  status?: Obj;
}

/** One cluster's share of a Divided template. */
export interface Share {
  readonly cluster: string;
  readonly replicas: number;
}

export interface KindEntry {
  /** `apiVersion|kind`, or `*` for the default entry. */
  readonly key: string;
  /**
   * The spec field Divided splits across clusters. Absent: every chosen cluster gets the whole
   * object (one copy per cluster, as Duplicated).
   */
  readonly replicaField?: 'replicas' | 'parallelism';
  /** Where the pod template is, for requirements, estimates and ProvisioningRequests. */
  readonly podTemplatePath?: readonly string[];
  /**
   * Member copies are watched (this resource plural, in the apiVersion's group) and their
   * status feeds the binding and the hub template's status subresource.
   */
  readonly plural?: string;
  /**
   * The member's status counts ready replicas that serve (a Deployment's, not a Job's): the
   * scheduler lets not-ready replicas go first on scale-in.
   */
  readonly readyServes?: boolean;
  /** A copy's status as the binding reports it (`aggregatedStatus`). */
  readonly counts?: (status: Obj) => WorkloadStatus;
  /**
   * The hub template's status from its copies (one per cluster that should have one, in the
   * binding's order). Undefined: leave the hub status as it is.
   */
  readonly hubStatus?: (
    template: TemplateObject,
    copies: readonly CopyView[],
    now: string,
  ) => Obj | undefined;
  /** The copy has been seen by its member controller at its latest spec. */
  readonly upToDate: (live: LiveCopy) => boolean;
  /** Removes what the hub's API server generated from a copy (the copy is already a clone). */
  readonly strip?: (copy: TemplateObject, template: TemplateObject) => void;
  /**
   * Spec fields a member refuses to change once its copy exists: a copy keeps the member's
   * value for them (a Job's completions are fixed at creation).
   */
  readonly immutableSpec?: readonly string[];
  /**
   * The copy is made from the hub template's field ownership (its managedFields' field sets):
   * the hub's watch of this kind keeps them, which other kinds' watches drop to save memory.
   */
  readonly fieldOwnership?: boolean;
}

/** A member copy as the hub status aggregation sees it. */
export interface CopyView {
  readonly cluster: string;
  /** Undefined while the member has not reported the copy yet. */
  readonly live?: LiveCopy;
  readonly upToDate: boolean;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function sumFields(copies: readonly CopyView[], fields: readonly string[]): Obj {
  const out: Record<string, number> = {};
  for (const f of fields) out[f] = copies.reduce((n, c) => n + num(c.live?.status?.[f]), 0);
  return out;
}

/**
 * The hub's observedGeneration moves to its generation only once every copy is applied and
 * observed at its latest spec, so `kubectl rollout status` on the hub waits for the members
 * (Karmada does the same for GitOps tools that read observedGeneration).
 */
function observedGeneration(template: TemplateObject, copies: readonly CopyView[]): number {
  const all = copies.length > 0 && copies.every((c) => c.live && c.upToDate);
  const previous = num((template.status as Obj | undefined)?.observedGeneration);
  return all ? num(template.metadata.generation) : previous;
}

const byGeneration = (live: LiveCopy): boolean =>
  num(live.status?.observedGeneration) >= num(live.metadata?.generation);

/** A kind whose copies report `observedGeneration` and whose status fields simply add up. */
function summed(fields: readonly string[]): Pick<KindEntry, 'hubStatus' | 'upToDate'> {
  return {
    upToDate: byGeneration,
    hubStatus: (template, copies) => ({
      ...sumFields(copies, fields),
      observedGeneration: observedGeneration(template, copies),
    }),
  };
}

const replicaCounts = (s: Obj): WorkloadStatus => ({
  replicas: num(s.replicas),
  readyReplicas: num(s.readyReplicas),
  availableReplicas: num(s.availableReplicas),
  updatedReplicas: num(s.updatedReplicas),
  unavailableReplicas: num(s.unavailableReplicas),
});

// --- Job ----------------------------------------------------------------------------------

/** Labels the API server adds to a Job's pod template when it generates the selector. */
const JOB_GENERATED_LABELS = [
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
];
const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

function withoutLabels(
  labels: Record<string, string> | undefined,
  drop: (key: string, value: string) => boolean,
): Record<string, string> | undefined {
  if (!labels) return undefined;
  return Object.fromEntries(Object.entries(labels).filter(([k, v]) => !drop(k, v)));
}

/**
 * Unless the user chose the selector (`manualSelector: true`), the hub generated it from the
 * hub Job's uid, and a member rejects a Job whose selector is not its own uid: the selector and
 * the labels generated with it go, and each member generates its own. Like Karmada, the
 * `ttlSecondsAfterFinished` goes too: a member deleting the finished copy would make Spillway
 * create it again and run the Job twice.
 */
function stripJob(copy: TemplateObject, template: TemplateObject): void {
  const spec = copy.spec;
  if (!spec) return;
  delete spec.ttlSecondsAfterFinished;
  const uid = template.metadata.uid;
  copy.metadata.labels = withoutLabels(
    copy.metadata.labels,
    (k, v) => CONTROLLER_UID_LABELS.includes(k) && v === uid,
  );
  if (spec.manualSelector === true) return;
  delete spec.selector;
  const pod = spec.template as { metadata?: { labels?: Record<string, string> } } | undefined;
  if (pod?.metadata?.labels) {
    pod.metadata.labels = withoutLabels(pod.metadata.labels, (k) =>
      JOB_GENERATED_LABELS.includes(k),
    );
  }
}

interface JobCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

function finished(status: Obj | undefined, type: 'Complete' | 'Failed'): boolean {
  const conditions = (status?.conditions ?? []) as JobCondition[];
  return conditions.some((c) => c.type === type && c.status === 'True');
}

const earliest = (xs: string[]): string | undefined => [...xs].sort()[0];
const latest = (xs: string[]): string | undefined => [...xs].sort().at(-1);

/**
 * A Job's hub status: active, ready, succeeded and failed summed over the copies; `startTime`
 * once every copy has started (never moved afterwards, as the API server requires); `Complete`
 * once every copy completed, `Failed` once one failed and none is still running. A finished hub
 * Job is never written again.
 */
function jobHubStatus(
  template: TemplateObject,
  copies: readonly CopyView[],
  now: string,
): Obj | undefined {
  const hub = template.status as Obj | undefined;
  if (finished(hub, 'Complete') || finished(hub, 'Failed')) return undefined;
  const statuses = copies.map((c) => c.live?.status);
  const out: Obj = sumFields(copies, ['active', 'ready', 'succeeded', 'failed']);
  const starts = statuses
    .map((s) => s?.startTime)
    .filter((t): t is string => typeof t === 'string');
  if (typeof hub?.startTime === 'string') out.startTime = hub.startTime;
  else if (copies.length > 0 && starts.length === copies.length) out.startTime = earliest(starts);
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    reason,
    message,
    lastProbeTime: now,
    lastTransitionTime: now,
  });
  const complete = copies.length > 0 && statuses.every((s) => finished(s, 'Complete'));
  const failedIn = copies.filter((c) => finished(c.live?.status, 'Failed')).map((c) => c.cluster);
  if (complete && out.startTime) {
    const ends = statuses
      .map((s) => s?.completionTime)
      .filter((t): t is string => typeof t === 'string');
    out.completionTime = latest(ends) ?? now;
    out.conditions = [
      condition('SuccessCriteriaMet', 'CompletionsReached', 'every member cluster completed'),
      condition('Complete', 'CompletionsReached', 'every member cluster completed'),
    ];
  } else if (failedIn.length > 0 && num(out.active) === 0 && out.startTime) {
    const message = `the Job failed in member clusters ${failedIn.join(', ')}`;
    out.conditions = [
      condition('FailureTarget', 'MemberFailed', message),
      condition('Failed', 'MemberFailed', message),
    ];
  }
  return out;
}

/**
 * A Divided Job: like Karmada, a cluster's share sets its `parallelism`, and `completions` (when
 * set) is split in proportion to the shares, so the copies together run the hub Job's work.
 */
function jobShareFields(template: TemplateObject, shares: readonly Share[]): Map<string, Obj> {
  const completions = template.spec?.completions;
  const split =
    typeof completions === 'number'
      ? divideByWeight(
          completions,
          shares.map((s) => s.replicas),
          shares.map(() => Infinity),
        ).shares
      : undefined;
  return new Map(
    shares.map((s, i) => [
      s.cluster,
      split ? { parallelism: s.replicas, completions: split[i] ?? 0 } : { parallelism: s.replicas },
    ]),
  );
}

/**
 * A CronJob's hub status: the latest schedule and success times over its copies (as Karmada).
 * `active` is left out: it would name Jobs that exist only in the members.
 */
function cronJobHubStatus(_t: TemplateObject, copies: readonly CopyView[]): Obj | undefined {
  const times = (field: string) =>
    copies.map((c) => c.live?.status?.[field]).filter((t): t is string => typeof t === 'string');
  const out: Obj = {};
  const scheduled = latest(times('lastScheduleTime'));
  const succeeded = latest(times('lastSuccessfulTime'));
  if (scheduled) out.lastScheduleTime = scheduled;
  if (succeeded) out.lastSuccessfulTime = succeeded;
  return Object.keys(out).length > 0 ? out : undefined;
}

// --- Service and PersistentVolumeClaim ----------------------------------------------------

interface ManagedFieldsEntry {
  fieldsV1?: Obj;
}

interface PortKey {
  port?: number;
  protocol?: string;
}

/**
 * Node ports some client wrote into the hub Service (kubectl, a chart, a GitOps tool), read from
 * its managedFields: a client that sets `nodePort` owns that field, while a port the API server
 * allocated is owned by nobody. Keys are `port/protocol`, as the ports list is keyed.
 */
export function explicitNodePorts(template: TemplateObject): {
  ports: Set<string>;
  healthCheck: boolean;
} {
  const ports = new Set<string>();
  let healthCheck = false;
  const entries = (template.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  for (const e of entries) {
    const spec = e.fieldsV1?.['f:spec'] as Obj | undefined;
    if (!spec) continue;
    if (spec['f:healthCheckNodePort'] !== undefined) healthCheck = true;
    const list = spec['f:ports'] as Obj | undefined;
    for (const [k, v] of Object.entries(list ?? {})) {
      if (!k.startsWith('k:') || (v as Obj)['f:nodePort'] === undefined) continue;
      try {
        const key = JSON.parse(k.slice(2)) as PortKey;
        ports.add(`${key.port ?? ''}/${key.protocol ?? 'TCP'}`);
      } catch {
        // A key that is not JSON is not a port key; ignore it.
      }
    }
  }
  return { ports, healthCheck };
}

/**
 * The hub allocated the Service's cluster IPs (a headless `None` is the user's choice and stays,
 * as in Karmada) and every node port no client asked for; each member allocates its own. Node
 * ports a client set explicitly are kept, so a NodePort Service answers on the same port
 * everywhere.
 */
function stripService(copy: TemplateObject, template: TemplateObject): void {
  const spec = copy.spec;
  if (!spec) return;
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  const explicit = explicitNodePorts(template);
  if (!explicit.healthCheck) delete spec.healthCheckNodePort;
  if (Array.isArray(spec.ports)) {
    spec.ports = (spec.ports as Obj[]).map((p) => {
      const key = `${String(p.port ?? '')}/${typeof p.protocol === 'string' ? p.protocol : 'TCP'}`;
      if (explicit.ports.has(key)) return p;
      const { nodePort: _generated, ...rest } = p;
      return rest;
    });
  }
}

/** Annotations the volume controllers and schedulers of the hub write on a claim. */
const PVC_BIND_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'pv.kubernetes.io/migrated-to',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

/** A claim binds to a volume of its own cluster: the hub's binding and its traces go. */
function stripClaim(copy: TemplateObject): void {
  if (copy.spec) delete copy.spec.volumeName;
  const annotations = copy.metadata.annotations;
  if (annotations) {
    copy.metadata.annotations = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => !PVC_BIND_ANNOTATIONS.includes(k)),
    );
  }
}

/**
 * A ServiceAccount token Secret is filled by each cluster's token controller for its own
 * ServiceAccount: the hub's token and the hub ServiceAccount's uid must not travel.
 */
function stripSecret(copy: TemplateObject): void {
  if (copy.type !== 'kubernetes.io/service-account-token') return;
  delete copy.data;
  delete copy.stringData;
  const annotations = copy.metadata.annotations;
  if (annotations) {
    copy.metadata.annotations = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => k !== 'kubernetes.io/service-account.uid'),
    );
  }
}

/** Token Secrets the hub generated for a ServiceAccount (`<name>-token-*`) are the hub's. */
function stripServiceAccount(copy: TemplateObject): void {
  if (!Array.isArray(copy.secrets)) return;
  const prefix = `${copy.metadata.name ?? ''}-token-`;
  copy.secrets = (copy.secrets as { name?: string }[]).filter(
    (s) => !(s.name ?? '').startsWith(prefix),
  );
}

// --- The table ----------------------------------------------------------------------------

const DEFAULT: KindEntry = { key: '*', upToDate: () => true };

export const KINDS: readonly KindEntry[] = [
  {
    key: 'apps/v1|Deployment',
    replicaField: 'replicas',
    podTemplatePath: ['spec', 'template'],
    plural: 'deployments',
    readyServes: true,
    counts: replicaCounts,
    ...summed([
      'replicas',
      'readyReplicas',
      'availableReplicas',
      'updatedReplicas',
      'unavailableReplicas',
    ]),
  },
  {
    key: 'apps/v1|StatefulSet',
    replicaField: 'replicas',
    podTemplatePath: ['spec', 'template'],
    plural: 'statefulsets',
    readyServes: true,
    counts: replicaCounts,
    ...summed([
      'replicas',
      'readyReplicas',
      'currentReplicas',
      'updatedReplicas',
      'availableReplicas',
    ]),
  },
  {
    key: 'apps/v1|ReplicaSet',
    replicaField: 'replicas',
    podTemplatePath: ['spec', 'template'],
    plural: 'replicasets',
    readyServes: true,
    counts: replicaCounts,
    ...summed(['replicas', 'readyReplicas', 'availableReplicas', 'fullyLabeledReplicas']),
  },
  {
    key: 'apps/v1|DaemonSet',
    podTemplatePath: ['spec', 'template'],
    plural: 'daemonsets',
    counts: (s) => ({
      replicas: num(s.desiredNumberScheduled),
      readyReplicas: num(s.numberReady),
      availableReplicas: num(s.numberAvailable),
      updatedReplicas: num(s.updatedNumberScheduled),
      unavailableReplicas: num(s.numberUnavailable),
    }),
    ...summed([
      'currentNumberScheduled',
      'desiredNumberScheduled',
      'numberAvailable',
      'numberMisscheduled',
      'numberReady',
      'updatedNumberScheduled',
      'numberUnavailable',
    ]),
  },
  {
    key: 'batch/v1|Job',
    replicaField: 'parallelism',
    podTemplatePath: ['spec', 'template'],
    plural: 'jobs',
    // Running pods, for the binding; succeeded and failed are summed into the hub Job.
    counts: (s) => ({ replicas: num(s.active), readyReplicas: num(s.ready) }),
    // The Job controller records no observedGeneration; a copy that exists is current.
    upToDate: () => true,
    hubStatus: jobHubStatus,
    strip: stripJob,
    immutableSpec: ['completions'],
  },
  {
    key: 'batch/v1|CronJob',
    podTemplatePath: ['spec', 'jobTemplate', 'spec', 'template'],
    plural: 'cronjobs',
    upToDate: () => true,
    hubStatus: cronJobHubStatus,
  },
  // explicitNodePorts reads which client set each node port.
  { key: 'v1|Service', strip: stripService, upToDate: () => true, fieldOwnership: true },
  { key: 'v1|Secret', strip: (copy) => stripSecret(copy), upToDate: () => true },
  { key: 'v1|ServiceAccount', strip: (copy) => stripServiceAccount(copy), upToDate: () => true },
  {
    key: 'v1|PersistentVolumeClaim',
    strip: (copy) => stripClaim(copy),
    upToDate: () => true,
  },
];

const BY_KEY = new Map(KINDS.map((k) => [k.key, k]));

export function kindOf(t: { apiVersion: string; kind: string }): KindEntry {
  return BY_KEY.get(`${t.apiVersion}|${t.kind}`) ?? DEFAULT;
}

/** The kinds whose member copies are watched, with their API coordinates. */
export function watchedKinds(): { apiVersion: string; kind: string; plural: string }[] {
  return KINDS.flatMap((k) => {
    if (!k.plural) return [];
    const [apiVersion = '', kind = ''] = k.key.split('|');
    return [{ apiVersion, kind, plural: k.plural }];
  });
}

export function hasReplicas(t: TemplateObject): boolean {
  return kindOf(t).replicaField !== undefined;
}

/**
 * The replica count Divided splits. A Job runs `min(parallelism, completions)` pods at a time
 * (more parallelism than completions is never used), as Karmada counts it.
 */
export function replicasOf(t: TemplateObject): number {
  const field = kindOf(t).replicaField;
  if (!field) return 1;
  const spec = t.spec ?? {};
  const value = spec[field];
  // The API server defaults both to 1; a template read before defaulting counts the same.
  const n = typeof value === 'number' ? value : 1;
  if (field === 'parallelism' && typeof spec.completions === 'number')
    return Math.min(n, spec.completions);
  return n;
}

/** For each cluster of a Divided template, the spec fields its copy gets. */
export function shareFields(t: TemplateObject, shares: readonly Share[]): Map<string, Obj> {
  const field = kindOf(t).replicaField;
  if (field === 'parallelism') return jobShareFields(t, shares);
  if (!field) return new Map();
  return new Map(shares.map((s) => [s.cluster, { [field]: s.replicas }]));
}

export function podTemplateOf(t: TemplateObject): PodTemplateLike | undefined {
  let at: unknown = t;
  for (const step of kindOf(t).podTemplatePath ?? []) {
    at = at && typeof at === 'object' ? (at as Obj)[step] : undefined;
  }
  return at && typeof at === 'object' && at !== t ? (at as PodTemplateLike) : undefined;
}

/** Keeps the member's value of fields it will not change on an existing copy. */
export function keepImmutable(copy: TemplateObject, existing: { spec?: Obj } | undefined): void {
  for (const f of kindOf(copy).immutableSpec ?? []) {
    const value = existing?.spec?.[f];
    if (value !== undefined && copy.spec) copy.spec[f] = value;
  }
}

/**
 * Which member pods belong to the workload, to count its pending pods. A Job's selector is the
 * hub's generated one (it names the hub Job's uid), so its pods are found by the job-name label
 * each member's API server puts on them instead.
 */
export function podSelectorOf(t: TemplateObject): LabelSelector | undefined {
  const kind = kindOf(t);
  if (kind.key === 'batch/v1|Job' && t.spec?.manualSelector !== true)
    return { matchLabels: { 'batch.kubernetes.io/job-name': t.metadata.name ?? '' } };
  if (kind.key === 'batch/v1|CronJob') return undefined;
  return t.spec?.selector as LabelSelector | undefined;
}
