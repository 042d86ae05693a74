import { expiryOf, formatUtcDateTime } from './format';
import { ActionButton, Detail, PolicyEmail, WrittenOutLink } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function IntegrationTokenExpiringEmail({ payload }: TemplateProps) {
  const expiresAt = expiryOf(payload);
  return (
    <PolicyEmail payload={payload}>
      {expiresAt ? <Detail>Ends: {formatUtcDateTime(expiresAt)}</Detail> : null}
      <ActionButton href={payload.action_url}>Reconnect {payload.provider_name}</ActionButton>
      <WrittenOutLink href={payload.action_url} />
    </PolicyEmail>
  );
}

export const integrationTokenExpiring = { Email: IntegrationTokenExpiringEmail } satisfies TemplateDefinition;
