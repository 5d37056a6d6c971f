#!/usr/bin/env node
/**
 * spillway: one binary for every component.
 *   spillway fleet-controller [--kubeconfig hub.yaml] [--namespace spillway-system]
 *                             [--health-port 8080] [--leader-elect=true|false] [--workers 8]
 *   spillway resource-policy-controller [--kubeconfig member.yaml] [--namespace spillway-system]
 *        [--health-port 8080] [--leader-elect=true|false] [--workers 4] [--webhook-port 9443]
 *        (--webhook-url https://127.0.0.1:{port}/mutate | --webhook-service ns/name[:port])
 *        [--tls-cert-file f --tls-key-file f [--tls-ca-file f]] [--manage-webhook-configuration=true]
 *        [--webhook-failure-policy Fail|Ignore] [--admission-decisions=true|false]
 *   spillway register-member --hub-kubeconfig f --member-kubeconfig f --name <cluster id> [...]
 *   spillway wait-for-apiserver [--kubeconfig f] [--timeout 300]
 * Without --kubeconfig it uses KUBECONFIG, ~/.kube/config or the in-cluster service account.
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { runFleetController } from '../fleet/controller.js';
import { runResourcePolicyController } from '../resourcepolicy/main.js';
import { main as registerMember } from './register-member.js';
import { main as waitForApiserver } from './wait-for-apiserver.js';
import { createLogger, errorMessage, type Logger } from '../runtime/logger.js';
import { DEFAULT_FLEET_WORKERS } from '../fleet/workers.js';
import { parseWorkers } from './workers.js';

function hubConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** Flags every controller takes. */
const COMMON_OPTIONS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'spillway-system' },
  'health-port': { type: 'string', default: '8080' },
  'leader-elect': { type: 'string', default: 'true' },
} as const;

/** Stops the controller cleanly on SIGTERM (what the kubelet sends) and SIGINT. */
function stopOnSignals(controller: { stop(): Promise<void> }, logger: Logger): void {
  const shutdown = () => {
    logger.info('shutting down');
    void controller.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function fleetController(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      workers: { type: 'string', default: String(DEFAULT_FLEET_WORKERS) },
    },
  });
  const workers = parseWorkers(values.workers);
  const logger = createLogger('fleet-controller');
  const controller = await runFleetController({
    hub: hubConfig(values.kubeconfig),
    namespace: values.namespace ?? 'spillway-system',
    healthPort: Number(values['health-port']),
    leaderElection: values['leader-elect'] !== 'false',
    workers,
    logger,
    onLostLeadership: () => {
      logger.error('lost leadership; exiting so that only one leader acts');
      process.exit(1);
    },
  });
  logger.info('fleet controller running', { healthPort: controller.healthPort });
  stopOnSignals(controller, logger);
}

/** `ns/name[:port]` of the Service in front of the webhook. */
function parseService(text: string): { namespace: string; name: string; port?: number } {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)(?::(\d+))?$/.exec(text);
  if (!m?.[1] || !m[2])
    throw new Error(`--webhook-service wants namespace/name[:port], got ${JSON.stringify(text)}`);
  return { namespace: m[1], name: m[2], ...(m[3] ? { port: Number(m[3]) } : {}) };
}

async function resourcePolicyController(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      workers: { type: 'string', default: '4' },
      'webhook-port': { type: 'string', default: '9443' },
      'webhook-url': { type: 'string' },
      'webhook-service': { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-key-file': { type: 'string' },
      'tls-ca-file': { type: 'string' },
      'manage-webhook-configuration': { type: 'string', default: 'true' },
      'webhook-failure-policy': { type: 'string', default: 'Fail' },
      'admission-decisions': { type: 'string', default: 'true' },
    },
  });
  if (!values['webhook-url'] && !values['webhook-service'])
    throw new Error('resource-policy-controller needs --webhook-url or --webhook-service');
  const failurePolicy = values['webhook-failure-policy'];
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore')
    throw new Error('--webhook-failure-policy is Fail or Ignore');
  if (Boolean(values['tls-cert-file']) !== Boolean(values['tls-key-file']))
    throw new Error('--tls-cert-file and --tls-key-file go together');
  const logger = createLogger('resource-policy-controller');
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-key-file'];
  const controller = await runResourcePolicyController({
    kubeConfig: hubConfig(values.kubeconfig),
    namespace: values.namespace ?? 'spillway-system',
    healthPort: Number(values['health-port']),
    leaderElection: values['leader-elect'] !== 'false',
    workers: parseWorkers(values.workers),
    admissionDecisions: values['admission-decisions'] !== 'false',
    logger,
    webhook: {
      port: Number(values['webhook-port']),
      endpoint: values['webhook-url']
        ? { url: values['webhook-url'] }
        : { service: parseService(values['webhook-service'] ?? '') },
      manageConfiguration: values['manage-webhook-configuration'] !== 'false',
      failurePolicy,
      ...(certFile && keyFile
        ? {
            tls: {
              certFile,
              keyFile,
              ...(values['tls-ca-file'] ? { caFile: values['tls-ca-file'] } : {}),
            },
          }
        : {}),
    },
  });
  logger.info('resource policy controller running', {
    webhookPort: controller.webhookPort,
    healthPort: controller.healthPort,
  });
  stopOnSignals(controller, logger);
}

const USAGE = `usage: spillway <command> [flags]
commands:
  fleet-controller             run the fleet controller against a hub
  resource-policy-controller   run the ResourcePolicy controller and its webhook in a cluster
  register-member              give the fleet controller a least-privilege identity in a member and register it on the hub
  wait-for-apiserver           return once the kubeconfig's API server answers /readyz (an init container's job)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'fleet-controller':
      return fleetController(rest);
    case 'resource-policy-controller':
      return resourcePolicyController(rest);
    case 'register-member':
      return registerMember(rest);
    case 'wait-for-apiserver':
      return waitForApiserver(rest);
    case '--help':
    case '-h':
    case 'help':
      // Asked-for help is a success: stdout, exit 0 (usage errors below go to stderr, exit 2).
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`spillway: ${errorMessage(err)}\n`);
  process.exit(1);
});
