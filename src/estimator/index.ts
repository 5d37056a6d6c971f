export { Estimator, podKey } from './estimator.js';
export type {
  ClusterTotals,
  ExclusionReason,
  HeldBack,
  NodeFit,
  NodeSummary,
  QueryOptions,
} from './estimator.js';
export { formatQuantity } from './resources.js';
export type * from './types.js';
