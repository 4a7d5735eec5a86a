/**
 * Colour for people, plain text for programs. Escapes are written only when
 * the stream is a terminal and NO_COLOR (no-color.org: any non-empty value)
 * is unset, so `tijori … | grep`, `> file` and CI logs get clean text.
 * Twelve lines of our own rather than a colour library: four styles.
 */

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const COLOUR: Style = { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
const same = (text: string) => text;
export const PLAIN: Style = { bold: same, dim: same, red: same, green: same, yellow: same };

/** The style for writing to `stream` (process.stdout or process.stderr). */
export function styleFor(stream: { isTTY?: boolean }, env: { NO_COLOR?: string | undefined }): Style {
  return stream.isTTY === true && !env.NO_COLOR ? COLOUR : PLAIN;
}
