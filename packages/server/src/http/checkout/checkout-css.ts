/**
 * The checkout pages' one stylesheet, served from /checkout/assets/ so the
 * policy can stay at style-src 'self' with no inline style. It is a string
 * here rather than a .css file because the build copies only .sql assets
 * into dist (scripts/copy-assets.mjs, called with `sql`), and a page that
 * works from source but loses its styles once built would be worse.
 *
 * Mobile first: one column, tap targets at least 48 px high, system fonts
 * (nothing to fetch), and colours that keep 4.5:1 contrast.
 */
export const CHECKOUT_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  padding: 24px 16px 32px;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1c2430;
  background: #eef1f5;
}
main {
  max-width: 440px;
  margin: 0 auto;
  background: #fff;
  border-radius: 14px;
  box-shadow: 0 1px 3px rgba(16, 24, 40, 0.1), 0 8px 24px rgba(16, 24, 40, 0.06);
  overflow: hidden;
}
.banner {
  margin: 0;
  padding: 8px 20px;
  font-size: 13px;
  font-weight: 600;
  letter-spacing: 0.02em;
  color: #7a4b00;
  background: #fff4d6;
  border-bottom: 1px solid #f3dfa6;
}
.summary { padding: 20px 20px 8px; }
.merchant { margin: 0; font-size: 15px; color: #4b5563; overflow-wrap: anywhere; }
.amount { margin: 4px 0 12px; font-size: 32px; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.currency { font-size: 18px; font-weight: 600; color: #4b5563; }
.details { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 0; font-size: 14px; }
.details dt { color: #6b7280; }
.details dd { margin: 0; overflow-wrap: anywhere; }
.body { padding: 8px 20px 20px; }
.title { margin: 12px 0 0; font-size: 20px; line-height: 1.3; }
fieldset { margin: 12px 0 0; padding: 0; border: 0; }
legend { padding: 0; margin-bottom: 8px; font-weight: 600; }
.method {
  display: flex;
  align-items: center;
  gap: 12px;
  min-height: 48px;
  padding: 10px 14px;
  margin-bottom: 8px;
  border: 1px solid #d0d5dd;
  border-radius: 10px;
  cursor: pointer;
}
.method:hover { border-color: #98a2b3; }
.method input { width: 20px; height: 20px; margin: 0; accent-color: #1d4ed8; }
.method:has(input:checked) { border-color: #1d4ed8; background: #eff4ff; }
.actions { display: grid; gap: 10px; margin-top: 16px; }
button {
  width: 100%;
  min-height: 48px;
  padding: 12px 16px;
  font: inherit;
  font-weight: 600;
  border-radius: 10px;
  border: 1px solid transparent;
  cursor: pointer;
}
button:focus-visible, .method:focus-within, a:focus-visible { outline: 3px solid #93b4ff; outline-offset: 2px; }
.pay { color: #fff; background: #1d4ed8; }
.pay:hover { background: #1e40af; }
.fail { color: #b42318; background: #fff; border-color: #f1a9a0; }
.fail:hover { background: #fef3f2; }
.hold { color: #344054; background: #fff; border-color: #d0d5dd; }
.hold:hover { background: #f9fafb; }
.notice { margin: 12px 0 0; padding: 12px 14px; border-radius: 10px; background: #f2f4f7; }
.state { margin: 12px 0 0; padding: 14px; border-radius: 10px; font-weight: 600; }
.state-paid { color: #05603a; background: #ecfdf3; }
.state-failed, .state-error { color: #b42318; background: #fef3f2; }
.state-processing { color: #7a4b00; background: #fff4d6; }
.link { display: inline-block; margin-top: 16px; color: #1d4ed8; font-weight: 600; overflow-wrap: anywhere; }
footer { max-width: 440px; margin: 16px auto 0; font-size: 13px; color: #6b7280; text-align: center; }
@media (min-width: 600px) { body { padding-top: 56px; } }
`;
