import { InlineLink, Paragraph, PolicyEmail } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function IntegrationRestoredEmail({ payload }: TemplateProps) {
  return (
    <PolicyEmail payload={payload}>
      <Paragraph>
        <InlineLink href={payload.action_url}>View connections</InlineLink>
      </Paragraph>
    </PolicyEmail>
  );
}

export const integrationRestored = { Email: IntegrationRestoredEmail } satisfies TemplateDefinition;
