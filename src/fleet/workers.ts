/**
 * The fleet controller's default number of reconcile workers (`--workers`,
 * `fleetController.workers`). A reconcile spends almost all of its time waiting on API round
 * trips to the hub and the members (a CPU profile at 1000 workloads showed the process 94.5%
 * idle with 2 workers and a full queue), so more workers than cores is what keeps the queue
 * moving. 8 keeps the burst the hub and the members see small: at most 8 reconciles, each with
 * at most 4 member writes, in flight. The work queue never gives one key to two workers.
 */
export const DEFAULT_FLEET_WORKERS = 8;
