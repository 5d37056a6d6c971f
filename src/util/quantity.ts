/**
 * Kubernetes resource quantities ("500m", "1Gi", "2") as exact integers in milli-units, so
 * capacity arithmetic never drifts the way floating point would.
 */
const DECIMAL_SUFFIX: Readonly<Record<string, bigint>> = {
  n: -3n, // handled below: nano rounds up to the next milli
  u: -2n,
  m: 0n,
  '': 3n,
  k: 6n,
  M: 9n,
  G: 12n,
  T: 15n,
  P: 18n,
  E: 21n,
};
const BINARY_SUFFIX: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const QUANTITY =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

export class QuantityError extends Error {}

/** Parses a quantity into milli-units, rounding fractions of a milli up (as Kubernetes does). */
export function parseMilli(input: string | number): bigint {
  const text = String(input).trim();
  const m = QUANTITY.exec(text);
  if (!m) throw new QuantityError(`invalid quantity ${JSON.stringify(text)}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const [whole = '0', frac = ''] = (m[2] ?? '0').split('.');
  const digits = BigInt(`${whole}${frac}` || '0');
  const scaleDown = BigInt(frac.length);
  let num: bigint; // value = num / den, in milli-units
  let den = 10n ** scaleDown;
  const suffix = m[3];
  if (suffix !== undefined && suffix in BINARY_SUFFIX) {
    num = digits * (BINARY_SUFFIX[suffix] ?? 1n) * 1000n;
  } else if (m[4] !== undefined) {
    const exp = BigInt(m[4]) + 3n;
    if (exp >= 0n) num = digits * 10n ** exp;
    else {
      num = digits;
      den *= 10n ** -exp;
    }
  } else {
    const s = suffix ?? '';
    if (s === 'n' || s === 'u') {
      num = digits;
      den *= s === 'n' ? 1_000_000n : 1000n;
    } else {
      num = digits * 10n ** (DECIMAL_SUFFIX[s] ?? 3n);
    }
  }
  const q = (num + den - 1n) / den; // round up to whole milli-units
  return sign * q;
}
