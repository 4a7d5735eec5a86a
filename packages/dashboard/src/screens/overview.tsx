import type { Me, Mode } from '../api.js';
import { href, onLinkClick } from '../router.js';

/** The landing screen: who is signed in, for which merchant, and whether the account is protected by 2FA. */
export function OverviewScreen(props: { me: Me; mode: Mode }) {
  const { me, mode } = props;
  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <p>{me.merchant.name} at a glance.</p>
      </div>
      {me.user.totpEnabled ? null : (
        <div class="alert alert-warn">
          Your account is protected by a password alone.{' '}
          <a href={href('/security')} onClick={onLinkClick('/security')}>
            Turn on two-factor authentication
          </a>
          .
        </div>
      )}
      <div class="grid grid-2">
        <section class="card">
          <h2>Account</h2>
          <p class="sub">The merchant and user this session belongs to.</p>
          <dl class="facts">
            <dt>Merchant</dt>
            <dd>{me.merchant.name}</dd>
            <dt>Merchant id</dt>
            <dd class="mono">{me.merchant.id}</dd>
            <dt>Signed in as</dt>
            <dd>{me.user.email}</dd>
            <dt>Role</dt>
            <dd>{me.user.role}</dd>
            <dt>2FA</dt>
            <dd>{me.user.totpEnabled ? <span class="badge badge-ok">On</span> : <span class="badge badge-warn">Off</span>}</dd>
          </dl>
        </section>
        <section class="card">
          <h2>Recent orders and alerts</h2>
          <p class="sub">{mode === 'live' ? 'Live' : 'Sandbox'} mode</p>
          <p class="hint">Coming soon: recent orders and security alerts will show here once the dashboard's orders API exists.</p>
        </section>
      </div>
    </>
  );
}
