import { ActionButton, PolicyEmail, WrittenOutLink } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

/** The policy's message already ends with the reason (lib/owed/messages.ts): it is not said twice. */
function IntegrationDisconnectedEmail({ payload }: TemplateProps) {
  return (
    <PolicyEmail payload={payload}>
      <ActionButton href={payload.action_url}>Reconnect {payload.provider_name}</ActionButton>
      <WrittenOutLink href={payload.action_url} />
    </PolicyEmail>
  );
}

export const integrationDisconnected = { Email: IntegrationDisconnectedEmail } satisfies TemplateDefinition;
