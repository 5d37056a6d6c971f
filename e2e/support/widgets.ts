/** A small custom resource (Widget) installed on clusters of the fleet, for "any kind" tests. */
import type { ClusterInfo } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { kubectl } from './spillway.js';

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.e2e.spillway.dev }
spec:
  group: e2e.spillway.dev
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: { type: integer }
              replicas: { type: integer }
`;

/** Installs the Widget CRD on each cluster and waits until each serves it. */
export async function installWidgets(clusters: readonly ClusterInfo[]): Promise<void> {
  for (const c of clusters) kubectl(c.kubeconfigPath, ['apply', '-f', '-'], WIDGET_CRD);
  for (const c of clusters)
    await waitFor(`Widget served by ${c.alias}`, 30_000, async () => {
      kubectl(c.kubeconfigPath, ['get', 'widgets', '-A']);
      return true;
    });
}
