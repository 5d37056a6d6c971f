/**
 * Which version of each ResourceBinding this controller last wrote or read (pure). A reconcile
 * needs the binding as it is, not as a watch cache one write behind has it: the binding holds
 * the last placement, and an old one would forget a cluster that holds replicas. Reading it from
 * the API server on every reconcile cost one request per reconcile. But when the cache holds the
 * very version the controller's own last write or read returned, it is that object: nobody
 * changed it since through this process, and a change by anyone else shows up in the cache with
 * another version (then the reconcile reads it). Every writer of bindings in the process records
 * the version its write returned here, so its own writes never leave the cache looking current
 * while it is one behind.
 */

export class BindingVersions {
  /** "namespace/name" -> resourceVersion last returned by a write or read. */
  private readonly latest = new Map<string, string>();

  private static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  /** A write or read returned this object (undefined: it does not exist). */
  saw(
    namespace: string,
    name: string,
    obj: { metadata?: { resourceVersion?: string } } | undefined,
  ): void {
    const rv = obj?.metadata?.resourceVersion;
    if (rv) this.latest.set(BindingVersions.key(namespace, name), rv);
    else this.latest.delete(BindingVersions.key(namespace, name));
  }

  /** Whether `cached` is the version last seen written or read: safe to use without a read. */
  current(
    namespace: string,
    name: string,
    cached: { metadata?: { resourceVersion?: string } } | undefined,
  ): boolean {
    const rv = cached?.metadata?.resourceVersion;
    return rv !== undefined && this.latest.get(BindingVersions.key(namespace, name)) === rv;
  }

  get size(): number {
    return this.latest.size;
  }
}
