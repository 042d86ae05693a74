import Link from 'next/link';
import { BANNER_COUNT_CAP, type BannerIntegration } from '@/lib/db/integrations';
import { reconnectHref } from '../_server/connect-links';
import { DismissibleBanner } from './banners-dismiss';

/** How many banners show before "N more": enough to see trouble, few enough to reach the page. */
export const BANNER_LIMIT = 3;

/**
 * The top-of-page banners: one per dead connection ("Xero connection lost — reason —
 * Reconnect"), per ended one ("Xero connection expired — Reconnect": still connected, but
 * nothing can renew it) and per retrying one. The layout reads them inside asUser and passes them in.
 */
export function Banners({ integrations, total, nameOf }: { integrations: BannerIntegration[]; total: number; nameOf: (provider: string) => string }) {
  if (integrations.length === 0) return null;
  return (
    <section className="banners" aria-label="Connection problems">
      {integrations.map((integration) => {
        const name = nameOf(integration.provider);
        const who = integration.account_label ? ` (${integration.account_label})` : '';
        if (integration.status === 'needs_reauthorization') {
          const reason = integration.disconnect_reason ?? integration.last_error_code ?? 'the provider no longer accepts it';
          return (
            <DismissibleBanner key={integration.id} bannerKey={`${integration.id}:dead`} label={`${name} connection lost`} className="bad">
              <strong>{`${name} connection lost`}</strong>
              {who}
              <span className="reason">{` — ${reason} — `}</span>
              <a href={reconnectHref(integration.provider, integration.id, '/')} aria-label={`Reconnect now: ${name} connection lost${who}`}>
                Reconnect
              </a>
            </DismissibleBanner>
          );
        }
        if (integration.expired) {
          // Still marked connected, but its end has passed and nothing renews it: red "Expired" in lib/owed/health.ts.
          return (
            <DismissibleBanner key={integration.id} bannerKey={`${integration.id}:expired`} label={`${name} connection expired`} className="bad">
              <strong>{`${name} connection expired`}</strong>
              {who}
              <span className="reason">{' — '}</span>
              <a href={reconnectHref(integration.provider, integration.id, '/')} aria-label={`Reconnect now: ${name} connection expired${who}`}>
                Reconnect
              </a>
            </DismissibleBanner>
          );
        }
        return (
          <DismissibleBanner key={integration.id} bannerKey={`${integration.id}:retrying`} label={`Trouble connecting to ${name}`} className="warn">
            <strong>{`Having trouble connecting to ${name}.`}</strong>
            {` Retrying automatically.`}
            {who ? <span className="muted">{who}</span> : null}{' '}
            <a href={`/integrations/${integration.id}`}>Details</a>
          </DismissibleBanner>
        );
      })}
      {total > integrations.length ? (
        <p className="banner-more">
          <Link href="/">
            {total > BANNER_COUNT_CAP
              ? // Counted only up to the cap: the exact number of the rest is not known.
                `${BANNER_COUNT_CAP.toLocaleString('en')}+ connections with problems in all`
              : `${(total - integrations.length).toLocaleString('en')} more connection${total - integrations.length === 1 ? '' : 's'} with problems`}
          </Link>
        </p>
      ) : null}
    </section>
  );
}
