import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

const PERIOD_SECONDS = 30;
const CODE = /^[0-9]{6}$/;

/** A new base32 secret (160 bits, RFC 4226's recommendation), for an authenticator app. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI authenticator apps read from the QR code (Google Authenticator's key URI format). */
export function totpUri(secret: string, accountEmail: string): string {
  return generateURI({ issuer: 'Tijori', label: accountEmail, secret });
}

/** The QR code as an SVG data URI: an <img src> the dashboard shows without any script or inline style. */
export async function qrCodeDataUri(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

export type TotpCheck = { ok: true; step: number } | { ok: false };

/**
 * Checks a 6-digit RFC 6238 code at `nowMs`, allowing one 30-second step of
 * clock drift each way. `lastStep` is the time step last accepted for this
 * secret: a code of that step or an earlier one is refused, so a code seen
 * over a shoulder or phished cannot be replayed within its window.
 */
export async function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | null): Promise<TotpCheck> {
  if (!CODE.test(code)) return { ok: false };
  const epoch = Math.floor(nowMs / 1000);
  const result = await verify({
    secret,
    token: code,
    epoch,
    period: PERIOD_SECONDS,
    epochTolerance: PERIOD_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  });
  // delta: the steps between the code's and now's (negative for a code from the step before).
  return result.valid ? { ok: true, step: Math.floor(epoch / PERIOD_SECONDS) + result.delta } : { ok: false };
}
