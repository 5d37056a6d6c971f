/**
 * Reverse-order scale-in through controller.kubernetes.io/pod-deletion-cost, which ReplicaSets
 * read when choosing which running pods to delete (lower cost first). Unit i of n costs n - i:
 * the last unit is removed first, the first unit last, and pods outside every unit (cost 0 or
 * unset) before any of them.
 */
export function deletionCost(unitIndex: number, unitCount: number): string {
  return String(unitCount - unitIndex);
}
