/**
 * Quantities as a user writes them in a manifest: `3` not `3000m` cores, `600Mi` not
 * `629145600` bytes. Exact: a suffix is used only when it divides the amount.
 */
const BINARY = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
const DECIMAL = ['E', 'P', 'T', 'G', 'M', 'k'] as const;

/** Resources counted in bytes, which users write with Ki/Mi/Gi. */
function isBytes(name: string): boolean {
  return (
    name === 'memory' ||
    name === 'storage' ||
    name === 'ephemeral-storage' ||
    name.startsWith('hugepages-')
  );
}

/** Formats an amount in exact milli-units of `name`. */
export function quantityText(name: string, milli: bigint): string {
  const sign = milli < 0n ? '-' : '';
  const m = milli < 0n ? -milli : milli;
  if (m % 1000n !== 0n) return `${sign}${m}m`;
  const units = m / 1000n;
  if (units === 0n || !isBytes(name)) return `${sign}${units}`;
  for (let i = 0; i < BINARY.length; i++) {
    const size = 1n << BigInt(10 * (BINARY.length - i));
    if (units % size === 0n) return `${sign}${units / size}${BINARY[i]}`;
  }
  for (let i = 0; i < DECIMAL.length; i++) {
    const size = 10n ** BigInt(3 * (DECIMAL.length - i));
    if (units % size === 0n) return `${sign}${units / size}${DECIMAL[i]}`;
  }
  return `${sign}${units}`;
}
