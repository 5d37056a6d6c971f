/**
 * Each chart ships CRDs in crds/ (Helm installs them before anything else); they must be the
 * very files of config/crds, or a chart would install an API that differs from the one tested.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CONFIG = join(ROOT, 'config', 'crds');

/** Which chart serves which API group: the fleet API on the hub, ResourcePolicy in members. */
const CHART_OF_GROUP: Readonly<Record<string, string>> = {
  'fleet.spillway.dev': 'spillway-hub',
  'policy.one.alibabacloud.com': 'spillway-hub',
  'scheduling.alibabacloud.com': 'spillway-member',
};

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('chart CRDs', () => {
  const configFiles = yamlFiles(CONFIG);

  it('every config/crds file belongs to a chart', () => {
    expect(configFiles.length).toBeGreaterThan(0);
    for (const f of configFiles) expect(CHART_OF_GROUP[f.split('_')[0] ?? '']).toBeDefined();
  });

  for (const chart of new Set(Object.values(CHART_OF_GROUP))) {
    const crdDir = join(ROOT, 'charts', chart, 'crds');
    const expected = configFiles.filter((f) => CHART_OF_GROUP[f.split('_')[0] ?? ''] === chart);

    it(`${chart}/crds holds exactly its config/crds files`, () => {
      expect(yamlFiles(crdDir)).toEqual(expected);
    });

    it.each(expected)(`${chart}/crds/%s is byte-identical to config/crds`, (f) => {
      expect(readFileSync(join(crdDir, f)).equals(readFileSync(join(CONFIG, f)))).toBe(true);
    });
  }
});
