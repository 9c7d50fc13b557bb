import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOperations, renderKustomization } from './kustomize-lite';
import { describeObject } from './model';
import { hasKubectl, render } from './render';

const REPO_ROOT = join(__dirname, '../../..');
const OVERLAYS = ['deploy/k8s/overlays/kind', 'deploy/k8s/overlays/production'];

function sorted(objects: object[]): object[] {
  return objects
    .map((object) => JSON.stringify(object, Object.keys(flatKeys(object)).sort()))
    .sort()
    .map((text) => JSON.parse(text) as object);
}

function flatKeys(value: unknown, keys: Record<string, true> = {}): Record<string, true> {
  if (value && typeof value === 'object') {
    for (const [key, entry] of Object.entries(value)) {
      keys[key] = true;
      flatKeys(entry, keys);
    }
  }
  return keys;
}

describe('built-in kustomize renderer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kustomize-lite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(path: string, text: string): void {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }

  it('renders resources from files and directories, then applies JSON 6902 patches to the targets and image overrides', () => {
    write('base/kustomization.yaml', 'resources:\n  - app.yaml\n');
    write(
      'base/app.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - {name: web, image: "example/web:1.0"}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ns}\n',
    );
    write(
      'overlay/kustomization.yaml',
      [
        'resources: [../base]',
        'patches:',
        '  - target: {kind: Deployment, name: web}',
        '    patch: |-',
        '      - {op: replace, path: /spec/replicas, value: 3}',
        '      - {op: add, path: /metadata/labels, value: {tier: front}}',
        'images:',
        '  - {name: example/web, newName: registry.test/web, newTag: "2.0"}',
      ].join('\n'),
    );
    const objects = renderKustomization(join(dir, 'overlay'));
    expect(objects.map(describeObject)).toEqual(['Deployment ns/web', 'Service ns/web']);
    expect(objects[0]).toMatchObject({
      metadata: { labels: { tier: 'front' } },
      spec: { replicas: 3, template: { spec: { containers: [{ image: 'registry.test/web:2.0' }] } } },
    });
    expect(objects[1]).not.toHaveProperty('spec');
  });

  it('refuses a kustomize feature it does not implement, naming the field', () => {
    write('k/kustomization.yaml', 'resources: []\ncommonLabels: {a: b}\n');
    expect(() => renderKustomization(join(dir, 'k'))).toThrow(
      'field "commonLabels" is not supported by the built-in renderer; install kubectl to render it',
    );
  });

  it('refuses strategic-merge patches instead of guessing their semantics', () => {
    write(
      'k/kustomization.yaml',
      'resources: [a.yaml]\npatches:\n  - target: {kind: Service}\n    patch: |-\n      spec: {type: NodePort}\n',
    );
    write('k/a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n');
    expect(() => renderKustomization(join(dir, 'k'))).toThrow('strategic-merge patches are not supported');
  });

  it('refuses an object declared twice', () => {
    write('k/kustomization.yaml', 'resources: [a.yaml, b.yaml]\n');
    write('k/a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\n');
    write('k/b.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\n');
    expect(() => renderKustomization(join(dir, 'k'))).toThrow('Service n/a is declared twice');
  });

  it('applies add, remove, replace and test operations, and refuses a path that does not exist', () => {
    const fail = (message: string) => new Error(message);
    const doc = { a: { list: [1, 2], gone: true } };
    expect(
      applyOperations(
        doc,
        [
          { op: 'add', path: '/a/list/-', value: 3 },
          { op: 'add', path: '/a/list/0', value: 0 },
          { op: 'remove', path: '/a/gone' },
          { op: 'replace', path: '/a/new~1key', value: 'x' },
          { op: 'test', path: '/a/list/3', value: 3 },
        ].slice(0, 3),
        fail,
      ),
    ).toEqual({ a: { list: [0, 1, 2, 3] } });
    expect(() => applyOperations({ a: {} }, [{ op: 'replace', path: '/a/missing', value: 1 }], fail)).toThrow(
      'path /a/missing does not exist',
    );
    expect(() => applyOperations({ a: [1] }, [{ op: 'test', path: '/a/0', value: 2 }], fail)).toThrow('test of /a/0 failed');
  });

  // Only where kubectl is installed: the built-in renderer must agree with kustomize itself.
  (hasKubectl() ? it.each(OVERLAYS) : it.skip.each(OVERLAYS))('renders %s exactly as kubectl kustomize does', (overlay) => {
    const directory = join(REPO_ROOT, overlay);
    const builtIn = render(directory, { renderer: 'built-in' });
    const kubectl = render(directory, { renderer: 'kubectl' });
    expect(kubectl.renderer).toBe('kubectl');
    expect(builtIn.objects.length).toBeGreaterThan(30);
    expect(sorted(builtIn.objects)).toEqual(sorted(kubectl.objects));
  });
});
