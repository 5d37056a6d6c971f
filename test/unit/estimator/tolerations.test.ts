import { describe, expect, it } from '@jest/globals';
import {
  formatTaint,
  toleratesTaint,
  untoleratedTaint,
} from '../../../src/estimator/tolerations.js';
import type { TaintInput } from '../../../src/estimator/types.js';

const gpu: TaintInput = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
const spot: TaintInput = { key: 'spot', effect: 'NoExecute' };
const soft: TaintInput = { key: 'soft', value: 'x', effect: 'PreferNoSchedule' };

describe('toleratesTaint', () => {
  it('Equal needs the same key and value (a missing operator means Equal)', () => {
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true' }, gpu)).toBe(
      true,
    );
    expect(toleratesTaint({ key: 'nvidia.com/gpu', value: 'true' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'nvidia.com/gpu', value: 'false' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'other', value: 'true' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'spot', operator: 'Equal' }, spot)).toBe(true); // both empty
  });

  it('Exists needs only the key; an empty key with Exists tolerates everything', () => {
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'spot', operator: 'Exists' }, gpu)).toBe(false);
    expect(toleratesTaint({ operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, spot)).toBe(true);
  });

  it('an effect on the toleration must match; an empty one matches all effects', () => {
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoSchedule' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'spot', operator: 'Exists', effect: 'NoExecute' }, spot)).toBe(
      true,
    );
  });

  it('an unknown operator tolerates nothing', () => {
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Gt', value: 'true' }, gpu)).toBe(
      false,
    );
  });
});

describe('untoleratedTaint', () => {
  it('requires NoSchedule and NoExecute taints to be tolerated and ignores PreferNoSchedule', () => {
    expect(untoleratedTaint([soft], undefined)).toBeUndefined();
    expect(untoleratedTaint([soft, gpu], [])).toBe(gpu);
    expect(untoleratedTaint([gpu, spot], [{ key: 'nvidia.com/gpu', operator: 'Exists' }])).toBe(
      spot,
    );
    expect(
      untoleratedTaint(
        [gpu, spot, soft],
        [
          { key: 'nvidia.com/gpu', operator: 'Exists' },
          { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
        ],
      ),
    ).toBeUndefined();
  });

  it('formats taints the way kubectl does', () => {
    expect(formatTaint(gpu)).toBe('nvidia.com/gpu=true:NoSchedule');
    expect(formatTaint(spot)).toBe('spot:NoExecute');
  });
});
