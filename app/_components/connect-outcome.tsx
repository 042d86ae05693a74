import { z } from 'zod';

/** The query the connect callback returns with: `?connect=connected|restored&integration=<id>`. */
const outcomeSchema = z.object({ connect: z.enum(['connected', 'restored']), integration: z.uuid() });

export type ConnectOutcome = z.infer<typeof outcomeSchema>;

/** The callback's outcome from a page's search params; anything else (or nothing) is null. */
export function connectOutcomeFrom(searchParams: Record<string, string | string[] | undefined>): ConnectOutcome | null {
  const parsed = outcomeSchema.safeParse({ connect: searchParams.connect, integration: searchParams.integration });
  return parsed.success ? parsed.data : null;
}

/**
 * What the user reads on return from the provider: a status message (announced by screen
 * readers, and in words, not by colour alone). `name` is the provider's name, `account` the
 * connection's label when known.
 */
export function ConnectOutcomeBanner({ outcome, name, account }: { outcome: ConnectOutcome; name: string; account?: string | null }) {
  const text = outcome.connect === 'restored' ? `${name} reconnected: it works again.` : `${name} connected.`;
  return (
    <div role="status" className="banner ok" data-connect-outcome={outcome.connect}>
      <strong>{text}</strong>
      {account ? <span> {account}</span> : null}
      {outcome.connect === 'restored' ? <span className="muted"> Refreshes resume; everyone who was told it broke is told it is back.</span> : null}
    </div>
  );
}
