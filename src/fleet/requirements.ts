/** What one replica of a workload needs, read from its pod template (for the binding and estimator). */
import type { ReplicaRequirements } from '../api/fleet.js';
import { effectiveRequests } from '../estimator/requests.js';
import { formatQuantity, toUnits } from '../estimator/resources.js';
import { podTemplateOf } from './kinds.js';
import type { TemplateObject } from './member-copy.js';

export { podTemplateOf } from './kinds.js';

export function replicaRequirements(t: TemplateObject): ReplicaRequirements | undefined {
  const spec = podTemplateOf(t)?.spec;
  if (!spec) return undefined;
  const req: ReplicaRequirements = {};
  const requests: Record<string, string> = {};
  for (const [k, milli] of effectiveRequests(spec))
    requests[k] = formatQuantity(k, toUnits(k, milli));
  if (Object.keys(requests).length > 0) req.resourceRequest = requests;
  if (spec.nodeSelector) req.nodeSelector = { ...spec.nodeSelector };
  if (spec.priorityClassName) req.priorityClassName = spec.priorityClassName;
  return req;
}
