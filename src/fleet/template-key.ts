/** The work-queue key of a resource template on the hub: apiVersion|kind|namespace|name. */
export interface TemplateKey {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export function formatTemplateKey(k: TemplateKey): string {
  return [k.apiVersion, k.kind, k.namespace, k.name].join('|');
}

export function parseTemplateKey(s: string): TemplateKey {
  const [apiVersion = '', kind = '', namespace = '', name = ''] = s.split('|');
  return { apiVersion, kind, namespace, name };
}
