/**
 * Reason texts, memoized by their pieces. A reason is a group prefix and a few pieces ("kept 3",
 * "took 2 of 5 available"), and across bindings and reconciles the same few thousand texts come
 * back (1000 bindings x 50 clusters produce about 1,600). Building each one anew was a third of
 * the scheduler's time, and a round's texts were half of what the garbage collector had to copy;
 * looking a text up by its pieces builds nothing and shares one copy. A memo table only: it
 * never changes a result, and it is emptied when it grows past its bound.
 */

interface Node {
  readonly next: Map<string, Node>;
  text: string | undefined;
}

const MAX_NODES = 16_384;
const newNode = (): Node => ({ next: new Map(), text: undefined });
let roots = { grouped: newNode(), ungrouped: newNode() };
let nodes = 0;

function step(node: Node, piece: string): Node {
  let child = node.next.get(piece);
  if (child === undefined) {
    child = newNode();
    node.next.set(piece, child);
    nodes++;
  }
  return child;
}

/**
 * `pieces` joined with "; ", after "group <name>: " when the cluster is in a group. Keyed by the
 * group's name itself (the caller's string, whose hash the engine keeps), not by the prefix.
 */
export function reasonText(group: string | undefined, pieces: readonly string[]): string {
  if (nodes >= MAX_NODES) {
    roots = { grouped: newNode(), ungrouped: newNode() };
    nodes = 0;
  }
  let node = group === undefined ? roots.ungrouped : step(roots.grouped, group);
  for (const piece of pieces) node = step(node, piece);
  if (node.text === undefined) {
    const body = pieces.join('; ');
    node.text = group === undefined ? body : `group ${group}: ${body}`;
  }
  return node.text;
}
