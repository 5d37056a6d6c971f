/**
 * An inverted index of node labels (key -> value -> nodes) and names, used to narrow a query to
 * the nodes that can possibly match a template's nodeSelector, required node affinity or an
 * explicit node subset. It only narrows: the caller still checks every candidate in full, so
 * the candidate set must be a superset of the matching nodes, never a subset.
 */
import type { NodeLabels } from './affinity.js';
import type { NodeSelectorTermInput } from './types.js';

/** Nodes to visit: the union of `sets`, which may overlap when `overlap` is set. */
export interface Candidates<T> {
  readonly sets: readonly Iterable<T>[];
  readonly size: number; // an upper bound on the number of nodes visited
  readonly overlap: boolean;
}

interface KeyEntry<T> {
  size: number;
  readonly byValue: Map<string, Set<T>>;
}

const NONE: Candidates<never> = { sets: [], size: 0, overlap: false };

export class NodeIndex<T extends NodeLabels> {
  private readonly byName = new Map<string, T>();
  private readonly byKey = new Map<string, KeyEntry<T>>();

  get size(): number {
    return this.byName.size;
  }

  all(): Candidates<T> {
    return { sets: [this.byName.values()], size: this.byName.size, overlap: false };
  }

  add(node: T): void {
    this.byName.set(node.name, node);
    for (const [key, value] of node.labels) this.addLabel(node, key, value);
  }

  remove(node: T): void {
    if (this.byName.get(node.name) !== node) return;
    this.byName.delete(node.name);
    for (const [key, value] of node.labels) this.removeLabel(node, key, value);
  }

  /** Re-indexes a node whose labels change from `before` to its current labels: O(changes). */
  relabel(node: T, before: ReadonlyMap<string, string>): void {
    for (const [key, value] of before) {
      if (node.labels.get(key) !== value) this.removeLabel(node, key, value);
    }
    for (const [key, value] of node.labels) {
      if (before.get(key) !== value) this.addLabel(node, key, value);
    }
  }

  /**
   * The smallest candidate set the index can vouch for, given the template's nodeSelector, its
   * required terms and an optional subset of node names; all nodes when nothing narrows.
   */
  candidates(
    selector: readonly (readonly [string, string])[],
    terms: readonly NodeSelectorTermInput[] | undefined,
    names: ReadonlySet<string> | undefined,
  ): Candidates<T> {
    let best: Candidates<T> | undefined;
    const consider = (c: Candidates<T> | undefined): void => {
      if (c && (!best || c.size < best.size)) best = c;
    };
    for (const [key, value] of selector) consider(this.labelled(key, value));
    if (terms) consider(this.forTerms(terms));
    if (names) consider(this.named(names));
    return best ?? this.all();
  }

  private labelled(key: string, value: string): Candidates<T> {
    const set = this.byKey.get(key)?.byValue.get(value);
    return set ? { sets: [set], size: set.size, overlap: false } : NONE;
  }

  private withKey(key: string): Candidates<T> {
    const entry = this.byKey.get(key);
    if (!entry) return NONE;
    // One value per key per node, so the value sets are disjoint.
    return { sets: [...entry.byValue.values()], size: entry.size, overlap: false };
  }

  private named(names: Iterable<string>): Candidates<T> {
    const found: T[] = [];
    for (const name of new Set(names)) {
      const node = this.byName.get(name);
      if (node) found.push(node);
    }
    return { sets: [found], size: found.length, overlap: false };
  }

  /** Terms are ORed: the union of each term's candidates, or undefined if one is unbounded. */
  private forTerms(terms: readonly NodeSelectorTermInput[]): Candidates<T> | undefined {
    const sets: Iterable<T>[] = [];
    let size = 0;
    for (const term of terms) {
      const c = this.forTerm(term);
      if (!c) return undefined;
      sets.push(...c.sets);
      size += c.size;
    }
    return { sets, size, overlap: terms.length > 1 };
  }

  /** Requirements in a term are ANDed: any one that bounds the term will do; take the least. */
  private forTerm(term: NodeSelectorTermInput): Candidates<T> | undefined {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return NONE; // matches nothing
    let best: Candidates<T> | undefined;
    const consider = (c: Candidates<T>): void => {
      if (!best || c.size < best.size) best = c;
    };
    for (const r of exprs) {
      if (r.operator === 'In') {
        // Distinct values of one key select disjoint node sets.
        const parts = [...new Set(r.values ?? [])].map((v) => this.labelled(r.key, v));
        consider({
          sets: parts.flatMap((p) => p.sets),
          size: parts.reduce((n, p) => n + p.size, 0),
          overlap: false,
        });
      } else if (r.operator === 'Exists' || r.operator === 'Gt' || r.operator === 'Lt') {
        consider(this.withKey(r.key));
      }
    }
    for (const r of fields) {
      if (r.key === 'metadata.name' && r.operator === 'In') consider(this.named(r.values ?? []));
    }
    return best;
  }

  private addLabel(node: T, key: string, value: string): void {
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { size: 0, byValue: new Map() };
      this.byKey.set(key, entry);
    }
    let set = entry.byValue.get(value);
    if (!set) {
      set = new Set();
      entry.byValue.set(value, set);
    }
    if (!set.has(node)) {
      set.add(node);
      entry.size++;
    }
  }

  private removeLabel(node: T, key: string, value: string): void {
    const entry = this.byKey.get(key);
    const set = entry?.byValue.get(value);
    if (!entry || !set?.delete(node)) return;
    entry.size--;
    if (set.size === 0) entry.byValue.delete(value);
    if (entry.byValue.size === 0) this.byKey.delete(key);
  }
}
