#!/usr/bin/env node
/**
 * spillway: one binary for every component.
 *   spillway fleet-controller [--kubeconfig hub.yaml] [--namespace spillway-system]
 *                             [--health-port 8080] [--leader-elect=true|false] [--workers 2]
 * Without --kubeconfig it uses KUBECONFIG, ~/.kube/config or the in-cluster service account.
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { runFleetController } from '../fleet/controller.js';
import { createLogger, errorMessage } from '../runtime/logger.js';

function hubConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

async function fleetController(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'spillway-system' },
      'health-port': { type: 'string', default: '8080' },
      'leader-elect': { type: 'string', default: 'true' },
      workers: { type: 'string', default: '2' },
    },
  });
  const logger = createLogger('fleet-controller');
  const controller = await runFleetController({
    hub: hubConfig(values.kubeconfig),
    namespace: values.namespace ?? 'spillway-system',
    healthPort: Number(values['health-port']),
    leaderElection: values['leader-elect'] !== 'false',
    workers: Number(values.workers),
    logger,
    onLostLeadership: () => {
      logger.error('lost leadership; exiting so that only one leader acts');
      process.exit(1);
    },
  });
  logger.info('fleet controller running', { healthPort: controller.healthPort });
  const shutdown = () => {
    logger.info('shutting down');
    void controller.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

const USAGE = `usage: spillway <command> [flags]
commands:
  fleet-controller   run the fleet controller against a hub
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'fleet-controller':
      return fleetController(rest);
    default:
      process.stderr.write(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`spillway: ${errorMessage(err)}\n`);
  process.exit(1);
});
