/**
 * Container image references, `[registry/]repository[:tag|@digest]`, split into the parts the
 * imageOverrider changes (pure). The registry is the first path component when it contains a '.'
 * or ':' or is "localhost" (the rule container runtimes use); no default registry is added, so
 * "nginx" stays "nginx" unless an overrider changes it.
 */

export interface ImageRef {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export class ImageRefError extends Error {}

export function parseImage(image: string): ImageRef {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageRefError(`image "${image}": invalid digest`);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`image "${image}": invalid tag "${tag}"`);
  }
  let registry = '';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (rest === '' || !rest.split('/').every((c) => PATH_COMPONENT.test(c)))
    throw new ImageRefError(`image "${image}": invalid repository "${rest}"`);
  return { registry, repository: rest, tag, digest };
}

export function formatImage(r: ImageRef): string {
  const name = r.registry ? `${r.registry}/${r.repository}` : r.repository;
  if (r.tag) return `${name}:${r.tag}`;
  if (r.digest) return `${name}@${r.digest}`;
  return name;
}

/** Sets the tag or the digest, whichever `value` is. */
export function withTagOrDigest(r: ImageRef, value: string): ImageRef {
  if (TAG.test(value)) return { ...r, tag: value, digest: '' };
  if (DIGEST.test(value)) return { ...r, tag: '', digest: value };
  throw new ImageRefError(`"${value}" is neither a tag nor a digest`);
}
