/** Text for conditions, Events and log fields (pure). */

/** Whitespace folded to single spaces and the length bounded: a message stays one line. */
export function oneLine(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
