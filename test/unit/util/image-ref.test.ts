import { describe, expect, it } from '@jest/globals';
import { formatImage, parseImage, withTagOrDigest } from '../../../src/util/image-ref.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it.each([
    ['nginx', { registry: '', repository: 'nginx', tag: '', digest: '' }],
    ['library/nginx:1.27', { registry: '', repository: 'library/nginx', tag: '1.27', digest: '' }],
    [
      'registry.k8s.io/kube-apiserver:v1.31.0',
      { registry: 'registry.k8s.io', repository: 'kube-apiserver', tag: 'v1.31.0', digest: '' },
    ],
    [
      'registry.example:5000/team/app',
      { registry: 'registry.example:5000', repository: 'team/app', tag: '', digest: '' },
    ],
    ['localhost/app:dev', { registry: 'localhost', repository: 'app', tag: 'dev', digest: '' }],
    [`app@${DIGEST}`, { registry: '', repository: 'app', tag: '', digest: DIGEST }],
  ])('splits %s into registry, repository, tag and digest', (image, parts) => {
    expect(parseImage(image)).toEqual(parts);
    expect(formatImage(parseImage(image))).toBe(image);
  });

  it('refuses references a runtime would refuse', () => {
    expect(() => parseImage('Nginx')).toThrow('invalid repository');
    expect(() => parseImage('nginx:')).toThrow('invalid tag');
    expect(() => parseImage('nginx@sha256:zz')).toThrow('invalid digest');
    expect(() => parseImage('')).toThrow('invalid repository');
  });

  it('sets a tag or a digest, whichever the value is', () => {
    const ref = parseImage('app:1.0');
    expect(formatImage(withTagOrDigest(ref, '2.0'))).toBe('app:2.0');
    expect(formatImage(withTagOrDigest(ref, DIGEST))).toBe(`app@${DIGEST}`);
    expect(() => withTagOrDigest(ref, 'not a tag')).toThrow('neither a tag nor a digest');
  });
});
