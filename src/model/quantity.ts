import { QUANTITY_PATTERN } from '../api/index.js';

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity (as QUANTITY_PATTERN accepts it), e.g. 10Gi → 10737418240. */
export function quantityValue(text: string): number {
  const match = new RegExp(QUANTITY_PATTERN).exec(text);
  if (!match) throw new Error(`"${text}" is not a quantity such as 500m or 10Gi`);
  const suffix = match[2] ?? '';
  return Number(text.slice(0, text.length - suffix.length)) * SUFFIX[suffix]!;
}
