import { ActionButton, PolicyEmail } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function IntegrationWarningEmail({ payload }: TemplateProps) {
  return (
    <PolicyEmail payload={payload}>
      <ActionButton href={payload.action_url}>Check connection</ActionButton>
    </PolicyEmail>
  );
}

export const integrationWarning = { Email: IntegrationWarningEmail } satisfies TemplateDefinition;
