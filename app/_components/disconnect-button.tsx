'use client';

import { ActionButton } from './action-button';

/**
 * Disconnects one connection through POST /api/integrations/{id}/disconnect (withUser,
 * same-origin), after the user confirms; then re-renders the page, which shows it
 * disconnected. A refusal shows the route's JSON error in words.
 */
export function DisconnectButton({ id, name }: { id: string; name: string }) {
  return (
    <ActionButton
      url={`/api/integrations/${encodeURIComponent(id)}/disconnect`}
      label="Disconnect"
      busyLabel="Disconnecting…"
      accessibleName={`Disconnect ${name}`}
      className="disconnect"
      confirm={`Disconnect ${name}? Tokenwarden revokes its access at the provider and stops renewing it.`}
      describe={() => null}
      failure={(words) => `Could not disconnect: ${words}`}
    />
  );
}
