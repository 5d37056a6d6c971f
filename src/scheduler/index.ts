export { schedule } from './schedule.js';
export { ScheduleInputError } from './validate.js';
export { DEFAULT_TOLERATION_SECONDS } from './types.js';
export type {
  ClusterGroup,
  ClusterResult,
  ClusterState,
  ProvisionSignal,
  ReplicaScheduling,
  ScheduleInput,
  ScheduleResult,
  StaticWeightRule,
  Weighting,
} from './types.js';
