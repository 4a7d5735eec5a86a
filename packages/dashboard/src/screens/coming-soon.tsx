import { href, onLinkClick } from '../router.js';

/** What a nav entry whose screen is not built yet shows if its URL is opened directly. */
export function ComingSoonScreen(props: { title: string; notFound?: boolean }) {
  return (
    <section class="card soon-card">
      <h1>{props.title}</h1>
      <p>{props.notFound ? 'There is no dashboard page at this address.' : 'This screen is coming soon. Until then, the CLI and the admin API do this.'}</p>
      <p>
        <a href={href('/')} onClick={onLinkClick('/')}>
          Back to the overview
        </a>
      </p>
    </section>
  );
}
