import { providerWithAccount } from './format';
import { ActionButton, EmailLayout, Paragraph } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function subject({ payload }: TemplateProps): string {
  return `We're having trouble connecting to ${payload.provider_name}`;
}

function IntegrationWarningEmail(props: TemplateProps) {
  const { payload } = props;
  return (
    <EmailLayout preview={subject(props)} heading={`Trouble connecting to ${payload.provider_name}`}>
      <Paragraph>
        We&apos;re having trouble connecting to {providerWithAccount(payload)}. Please check your connection.
      </Paragraph>
      <ActionButton href={payload.action_url}>Check connection</ActionButton>
    </EmailLayout>
  );
}

export const integrationWarning = { subject, Email: IntegrationWarningEmail } satisfies TemplateDefinition;
