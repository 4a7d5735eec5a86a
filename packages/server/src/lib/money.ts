import currencyCodes from 'currency-codes';

export interface Currency {
  code: string;
  /** ISO 4217 minor unit digits: INR 2, JPY 0, BHD 3. */
  digits: number;
}

// X-codes are metals, fund units, test and "no currency" codes: nothing a customer pays in.
const PAYABLE: ReadonlyMap<string, Currency> = new Map(
  currencyCodes
    .data.filter((c) => !c.code.startsWith('X') && Number.isInteger(c.digits))
    .map((c) => [c.code, { code: c.code, digits: c.digits }]),
);

export function findCurrency(code: string): Currency | undefined {
  return PAYABLE.get(code);
}

// Amounts up to 10^15 minor units keep every value exact in a double and in bigint columns.
const MAX_MINOR = 10n ** 15n;
const DECIMAL = /^(0|[1-9][0-9]{0,15})(?:\.([0-9]+))?$/;

export type AmountParse = { ok: true; minor: number } | { ok: false; reason: string };

/**
 * Parses a decimal amount ("105.00" or 105) into integer minor units without
 * ever doing arithmetic on a float: a number is read through its shortest
 * decimal representation, which is what the client wrote in JSON.
 */
export function parseAmount(value: string | number, currency: Currency): AmountParse {
  const text = typeof value === 'number' ? String(value) : value;
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, reason: 'must be a positive decimal such as "105.00" (no exponent, sign or separators)' };
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > currency.digits) {
    return { ok: false, reason: `${currency.code} allows at most ${currency.digits} decimal places` };
  }
  const minor = BigInt(whole) * 10n ** BigInt(currency.digits) + BigInt(fraction.padEnd(currency.digits, '0') || '0');
  if (minor <= 0n) return { ok: false, reason: 'must be greater than zero' };
  if (minor > MAX_MINOR) return { ok: false, reason: 'is larger than the maximum amount' };
  return { ok: true, minor: Number(minor) };
}

/** 10500 INR -> "105.00"; 500 JPY -> "500". */
export function formatAmount(minor: number, currency: Currency): string {
  if (currency.digits === 0) return String(minor);
  const text = String(minor).padStart(currency.digits + 1, '0');
  return `${text.slice(0, -currency.digits)}.${text.slice(-currency.digits)}`;
}
