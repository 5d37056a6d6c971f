import { join } from 'node:path';
import { DEFAULT_STATE_ROOT, readState, hub, members, kubeConfigFor } from '../fleet/index.js';
import { readFleet } from './fleet-view.js';
import { checkSettled } from './invariants.js';
const state = readState(join(DEFAULT_STATE_ROOT, process.env.DIR ?? 'chaos'))!;
const s = await readFleet(kubeConfigFor(hub(state)), members(state).map((m) => ({ name: m.name, kubeConfig: kubeConfigFor(m) })), 'chaos');
console.log('unreachable', s.unreachable);
console.log(checkSettled(s).slice(0, 20));
