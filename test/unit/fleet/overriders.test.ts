import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { OverrideError, applyOverriders } from '../../../src/fleet/overriders.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'docker.io/library/nginx:1.27', args: ['--port=80', '-v'] },
          { name: 'sidecar', image: 'envoyproxy/envoy:v1.31.0' },
        ],
      },
    },
  },
};

const containers = (o: typeof deployment) => o.spec.template.spec.containers;

describe('imageOverrider', () => {
  it('replaces the registry of every container image when no predicate is given', () => {
    const out = applyOverriders(deployment, {
      imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'registry.idc.local' }],
    });
    expect(containers(out).map((c) => c.image)).toEqual([
      'registry.idc.local/library/nginx:1.27',
      'registry.idc.local/envoyproxy/envoy:v1.31.0',
    ]);
  });

  it('changes only the image the predicate names', () => {
    const out = applyOverriders(deployment, {
      imageOverrider: [
        {
          predicate: { path: '/spec/template/spec/containers/1/image' },
          component: 'Tag',
          operator: 'replace',
          value: 'v1.32.1',
        },
      ],
    });
    expect(containers(out).map((c) => c.image)).toEqual([
      'docker.io/library/nginx:1.27',
      'envoyproxy/envoy:v1.32.1',
    ]);
  });

  it.each([
    ['Registry', 'add', '.cn', 'docker.io.cn/library/nginx:1.27'],
    ['Registry', 'remove', undefined, 'library/nginx:1.27'],
    ['Repository', 'replace', 'mirror/nginx', 'docker.io/mirror/nginx:1.27'],
    ['Repository', 'add', '-slim', 'docker.io/library/nginx-slim:1.27'],
    ['Tag', 'add', '-alpine', 'docker.io/library/nginx:1.27-alpine'],
    ['Tag', 'remove', undefined, 'docker.io/library/nginx'],
  ] as const)('%s %s %s gives %s', (component, operator, value, image) => {
    const out = applyOverriders(deployment, {
      imageOverrider: [
        {
          predicate: { path: '/spec/template/spec/containers/0/image' },
          component,
          operator,
          ...(value !== undefined ? { value } : {}),
        },
      ],
    });
    expect(containers(out)[0]?.image).toBe(image);
  });

  it('reaches CronJob containers, and leaves kinds without containers alone', () => {
    const cron = {
      kind: 'CronJob',
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'a:1' }] } } } } },
    };
    const out = applyOverriders(cron, {
      imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'r.local' }],
    });
    expect(out.spec.jobTemplate.spec.template.spec.containers[0]?.image).toBe('r.local/a:1');
    const cm = { kind: 'ConfigMap', data: { a: 'b' } };
    expect(
      applyOverriders(cm, {
        imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'r.local' }],
      }),
    ).toEqual(cm);
  });

  it('names the overrider when the predicate path is not an image', () => {
    expect(() =>
      applyOverriders(deployment, {
        imageOverrider: [
          { component: 'Tag', operator: 'replace', value: '1', predicate: { path: '/spec/x' } },
          { component: 'Tag', operator: 'replace', value: '2', predicate: { path: '/spec/y' } },
        ],
      }),
    ).toThrow(OverrideError);
    expect(() =>
      applyOverriders(deployment, {
        imageOverrider: [
          { component: 'Tag', operator: 'replace', value: '1', predicate: { path: '/spec/x' } },
        ],
      }),
    ).toThrow('imageOverrider[0]: /spec/x is not an image (a string field)');
  });

  it('fails when the image it makes does not parse, instead of writing it', () => {
    // Found by the override fuzzing: these were written to the member as they are.
    expect(() =>
      applyOverriders(deployment, {
        imageOverrider: [{ component: 'Repository', operator: 'remove' }],
      }),
    ).toThrow(
      'imageOverrider[0]: Repository remove gives image "docker.io/:1.27": invalid repository ""',
    );
    expect(() =>
      applyOverriders(deployment, {
        imageOverrider: [{ component: 'Repository', operator: 'replace', value: 'Team/App' }],
      }),
    ).toThrow('imageOverrider[0]: Repository replace gives image "docker.io/Team/App:1.27"');
    expect(() =>
      applyOverriders(deployment, {
        imageOverrider: [{ component: 'Registry', operator: 'add', value: '/x' }],
      }),
    ).toThrow(OverrideError);
  });
});

describe('commandOverrider and argsOverrider', () => {
  it('appends to the args of the named container only', () => {
    const out = applyOverriders(deployment, {
      argsOverrider: [{ containerName: 'web', operator: 'add', value: ['--gpu'] }],
    });
    expect(containers(out)[0]).toMatchObject({ args: ['--port=80', '-v', '--gpu'] });
    expect(containers(out)[1]).not.toHaveProperty('args');
  });

  it('removes every matching item', () => {
    const out = applyOverriders(deployment, {
      argsOverrider: [{ containerName: 'web', operator: 'remove', value: ['-v', '--nope'] }],
    });
    expect(containers(out)[0]?.args).toEqual(['--port=80']);
  });

  it('creates a command that was not there, and ignores an unknown container', () => {
    const out = applyOverriders(deployment, {
      commandOverrider: [
        { containerName: 'sidecar', operator: 'add', value: ['envoy', '-c', '/etc/envoy.yaml'] },
        { containerName: 'gone', operator: 'add', value: ['x'] },
      ],
    });
    expect(containers(out)[1]).toMatchObject({ command: ['envoy', '-c', '/etc/envoy.yaml'] });
    expect(containers(out)[0]).not.toHaveProperty('command');
  });
});

describe('labelsOverrider and annotationsOverrider', () => {
  it('adds, replaces only present keys, and removes only present keys', () => {
    const out = applyOverriders(deployment, {
      labelsOverrider: [
        { operator: 'add', value: { 'topology.example.com/site': 'idc' } },
        { operator: 'replace', value: { tier: 'back', absent: 'x' } },
        { operator: 'remove', value: { app: '', other: '' } },
      ],
    });
    expect(out.metadata.labels).toEqual({ tier: 'back', 'topology.example.com/site': 'idc' });
  });

  it('creates the annotations map when the object has none', () => {
    const out = applyOverriders(deployment, {
      annotationsOverrider: [{ operator: 'add', value: { 'example.com/owner': 'team-a' } }],
    });
    expect((out.metadata as Record<string, unknown>).annotations).toEqual({
      'example.com/owner': 'team-a',
    });
  });
});

describe('fieldOverrider', () => {
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: {
      'db.json': '{"host":"db.cloud","port":5432}',
      'app.yaml': 'server:\n  registry: docker.io\n  replicas: 2\n',
    },
  };

  it('patches a JSON document inside a string field', () => {
    const out = applyOverriders(cm, {
      fieldOverrider: [
        {
          fieldPath: '/data/db.json',
          json: [
            { subPath: '/host', operator: 'replace', value: 'db.idc' },
            { subPath: '/tls', operator: 'add', value: true },
          ],
        },
      ],
    });
    expect(JSON.parse(out.data['db.json'])).toEqual({ host: 'db.idc', port: 5432, tls: true });
  });

  it('patches a YAML document inside a string field and writes YAML back', () => {
    const out = applyOverriders(cm, {
      fieldOverrider: [
        {
          fieldPath: '/data/app.yaml',
          yaml: [
            { subPath: '/server/registry', operator: 'replace', value: 'registry.idc.local' },
            { subPath: '/server/replicas', operator: 'remove' },
          ],
        },
      ],
    });
    expect(parseYaml(out.data['app.yaml'])).toEqual({ server: { registry: 'registry.idc.local' } });
  });

  it.each([
    ['/data/missing', { json: [] }, 'fieldOverrider[0]: /data/missing does not exist'],
    ['/metadata', { json: [] }, 'fieldOverrider[0]: /metadata is not a string field'],
    ['/data/app.yaml', { json: [] }, 'fieldOverrider[0]: /data/app.yaml is not JSON'],
    [
      '/data/db.json',
      { json: [{ subPath: '/user', operator: 'replace' as const, value: 'x' }] },
      'fieldOverrider[0]: replace /user: / has no field "user"',
    ],
  ])('refuses %s %o', (fieldPath, ops, message) => {
    expect(() => applyOverriders(cm, { fieldOverrider: [{ fieldPath, ...ops }] })).toThrow(message);
  });
});

describe('plaintext', () => {
  it('applies JSON patch operations in order', () => {
    const out = applyOverriders(deployment, {
      plaintext: [
        { path: '/spec/template/spec/nodeSelector', operator: 'add', value: {} },
        {
          path: '/spec/template/spec/nodeSelector/gpu.example.com~1pool',
          operator: 'add',
          value: 'idc-a10',
        },
        { path: '/spec/template/spec/containers/1', operator: 'remove' },
      ],
    });
    expect(out.spec.template.spec).toMatchObject({
      nodeSelector: { 'gpu.example.com/pool': 'idc-a10' },
    });
    expect(containers(out)).toHaveLength(1);
  });

  it('names the failing operation and applies none of them', () => {
    expect(() =>
      applyOverriders(deployment, {
        plaintext: [
          { path: '/spec/replicas', operator: 'replace', value: 5 },
          { path: '/spec/template/spec/tolerations/0', operator: 'replace', value: {} },
        ],
      }),
    ).toThrow(
      'plaintext[1]: path /spec/template/spec/tolerations/0: /spec/template/spec has no field "tolerations"',
    );
  });
});

describe('the order inside one rule', () => {
  it('is image, command, args, labels, annotations, field, plaintext: plaintext sees the others', () => {
    const out = applyOverriders(deployment, {
      // Listed in reverse: the order of the fields in the object does not matter.
      plaintext: [
        { path: '/spec/template/spec/containers/0/image', operator: 'replace', value: 'last:1' },
        { path: '/metadata/labels/site', operator: 'replace', value: 'plain' },
      ],
      labelsOverrider: [{ operator: 'add', value: { site: 'label' } }],
      imageOverrider: [{ component: 'Tag', operator: 'replace', value: '9' }],
    });
    expect(containers(out)[0]?.image).toBe('last:1');
    expect(containers(out)[1]?.image).toBe('envoyproxy/envoy:9');
    expect(out.metadata.labels).toMatchObject({ site: 'plain' });
  });

  it('never changes the object it is given', () => {
    const before = structuredClone(deployment);
    applyOverriders(deployment, {
      imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'r.local' }],
      labelsOverrider: [{ operator: 'add', value: { a: 'b' } }],
    });
    expect(deployment).toEqual(before);
  });
});
