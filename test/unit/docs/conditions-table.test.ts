/**
 * docs/fleet-controller.md lists every condition reason and Event reason Spillway emits, with
 * what the user should do: the reason constants must all be in its tables, and the fleet
 * controller's code must not emit a reason by string literal that bypasses them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  MemberClusterConditionReasons,
  ResourceBindingConditionReasons,
  TemplateConditionReasons,
} from '../../../src/api/fleet.js';
import { OverrideConditionReasons } from '../../../src/api/override.js';
import { PolicyConditionReasons } from '../../../src/api/policy.js';
import { ResourcePolicyConditionReasons } from '../../../src/api/resourcepolicy.js';
import { TemplateEventReasons } from '../../../src/fleet/binding-status.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'fleet-controller.md'), 'utf8');

/** Rows of the first table after `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = doc.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const conditionRows = tableAfter('## Conditions');
type Reasons = Readonly<Record<string, Readonly<Record<string, string>>>>;
const catalogues: [string, Reasons][] = [
  ['ResourceBinding', ResourceBindingConditionReasons],
  ['PropagationPolicy', PolicyConditionReasons],
  ['ClusterPropagationPolicy', PolicyConditionReasons],
  ['OverridePolicy', OverrideConditionReasons],
  ['ClusterOverridePolicy', OverrideConditionReasons],
  ['MemberCluster', MemberClusterConditionReasons],
  ['hub Deployment', TemplateConditionReasons],
  ['ResourcePolicy', ResourcePolicyConditionReasons],
];
const expected = catalogues.flatMap(([object, reasons]) =>
  Object.entries(reasons).flatMap(([type, byName]) =>
    Object.values(byName).map((reason) => [object, type, reason] as const),
  ),
);

function documented(object: string, type: string, reason: string): boolean {
  return conditionRows.some(
    ([o = '', t = '', , r = '', todo = '']) =>
      o.split(', ').includes(object) &&
      t === type &&
      r.split(', ').includes(reason) &&
      todo.length > 0,
  );
}

describe('the conditions table in docs/fleet-controller.md', () => {
  it.each(expected)('documents %s %s %s with what to do', (object, type, reason) => {
    expect(documented(object, type, reason)).toBe(true);
  });

  it('documents no reason the code does not have', () => {
    for (const [o = '', t = '', , r = ''] of conditionRows) {
      for (const object of o.split(', '))
        for (const reason of r.split(', '))
          expect(expected.some((e) => e[0] === object && e[1] === t && e[2] === reason)).toBe(true);
    }
  });

  it('documents every Event reason of the hub template', () => {
    const events = tableAfter('## Events and metrics').map(([reason = '']) =>
      reason.replaceAll('`', ''),
    );
    expect(events.sort()).toEqual(Object.values(TemplateEventReasons).sort());
  });

  it('finds no reason in the fleet controller written as a literal outside the catalogues', () => {
    const known = new Set<string>([
      ...expected.map((e) => e[2]),
      ...Object.values(TemplateEventReasons),
    ]);
    const dir = join(ROOT, 'src', 'fleet');
    const literals: string[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const m of src.matchAll(/reason: '([A-Za-z]+)'/g)) literals.push(`${f}: ${m[1]}`);
      for (const m of src.matchAll(/'(?:Normal|Warning)',\s*'([A-Za-z]+)'/g))
        literals.push(`${f}: ${m[1]}`);
    }
    expect(literals.filter((l) => !known.has(l.split(': ')[1] ?? ''))).toEqual([]);
  });
});

describe('docs stand alone', () => {
  it('never point at files outside the repository', () => {
    const files = [
      join(ROOT, 'README.md'),
      ...readdirSync(join(ROOT, 'docs')).map((f) => join(ROOT, 'docs', f)),
    ];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect({ f, hits: text.match(/DESIGN\.md|DESIGN §|\.\.\/shared|seeds\//g) ?? [] }).toEqual({
        f,
        hits: [],
      });
    }
  });

  it('send readers of spec.rebalance to rebalance.md, and no longer call it unavailable', () => {
    // Pages once disagreed about rebalance; one page now describes it and the others link there.
    for (const x of readdirSync(join(ROOT, 'docs'))) {
      if (x === 'rebalance.md' || x === 'api-reference.md') continue;
      const text = readFileSync(join(ROOT, 'docs', x), 'utf8');
      if (!text.includes('spec.rebalance')) continue;
      expect({ x, links: text.includes('(rebalance.md)') }).toEqual({ x, links: true });
      expect({ x, stale: /rebalance[^.]*not available/i.test(text) }).toEqual({
        x,
        stale: false,
      });
    }
  });
});
