/** `kubectl amc plan` output: a table per cluster and a summary in words. Pure formatting. */
import { table } from './format.js';
import type { Plan } from './plan.js';

function change(from: number, to: number): string {
  return to > from ? `+${to - from}` : to < from ? `-${from - to}` : '0';
}

export function planText(plan: Plan): string {
  const lines: string[] = [
    `Plan for ${plan.workload} in namespace ${plan.namespace}: ${plan.fromReplicas} -> ${plan.replicas} replicas`,
    `Policy: ${plan.policy}, ${plan.scheduling}`,
    '',
  ];
  const rows = plan.clusters.map((c) => [
    c.cluster,
    c.alias,
    c.group ?? '<none>',
    String(c.now),
    String(c.planned),
    change(c.now, c.planned),
    String(c.room),
    String(c.waiting),
    c.provision > 0 ? String(c.provision) : '-',
    c.reason,
  ]);
  lines.push(
    table(
      [
        'CLUSTER',
        'ALIAS',
        'GROUP',
        'NOW',
        'PLANNED',
        'CHANGE',
        'ROOM',
        'WAITING',
        'NODES',
        'REASON',
      ],
      rows,
    ).trimEnd(),
    '',
  );
  const placed = plan.clusters.reduce((n, c) => n + c.planned, 0);
  lines.push(
    `${plan.replicas} replicas: ${placed - plan.waiting} would start on capacity there now, ` +
      `${plan.waiting} would wait for capacity, ${plan.unplaced} would have no cluster.`,
  );
  const asks = plan.clusters.filter((c) => c.provision > 0);
  if (asks.length > 0)
    lines.push(
      `Nodes would be requested (ProvisioningRequest) in ${asks
        .map((c) => `${c.cluster} for ${c.provision} replica${c.provision === 1 ? '' : 's'}`)
        .join(', ')}.`,
    );
  else if (plan.waiting > 0)
    lines.push(
      'No nodes would be requested: no waiting replica is on a cluster that provisions nodes with ecsProvision.',
    );
  for (const note of plan.notes) lines.push(`Note: ${note}.`);
  lines.push('This is a plan: nothing was changed.');
  return lines.join('\n') + '\n';
}
