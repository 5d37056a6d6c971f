import { describe, expect, it } from '@jest/globals';
import { MAX_LABEL, MAX_NAME, bounded, labelValue, withSuffix } from '../../src/util/names.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('names within Kubernetes limits', () => {
  it('leaves names that fit alone', () => {
    expect(bounded('web', MAX_NAME)).toBe('web');
    expect(labelValue('web-deployment')).toBe('web-deployment');
    expect(withSuffix('web', '-deployment')).toBe('web-deployment');
  });

  it('cuts and hashes a 253-character name into a valid label value', () => {
    const name = `${'a'.repeat(60)}.${'b'.repeat(192)}`;
    const v = labelValue(`${name}-deployment`);
    expect(v.length).toBeLessThanOrEqual(MAX_LABEL);
    expect(v).toMatch(LABEL_VALUE);
  });

  it('never ends a cut prefix with a dash or a dot', () => {
    const name = `${'a'.repeat(53)}.-x${'c'.repeat(20)}`;
    const v = bounded(name, MAX_LABEL);
    expect(v).toMatch(LABEL_VALUE);
    expect(v).not.toMatch(/[.-]-/);
  });

  it('keeps two long names that share a prefix apart', () => {
    const a = labelValue(`${'x'.repeat(70)}-one`);
    const b = labelValue(`${'x'.repeat(70)}-two`);
    expect(a).not.toBe(b);
    expect(labelValue(`${'x'.repeat(70)}-one`)).toBe(a);
  });

  it('keeps the suffix of a generated name', () => {
    const v = withSuffix('w'.repeat(253), '-deployment');
    expect(v.length).toBe(MAX_NAME);
    expect(v.endsWith('-deployment')).toBe(true);
    expect(v).toMatch(SUBDOMAIN);
  });
});
