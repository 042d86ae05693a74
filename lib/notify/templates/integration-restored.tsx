import { providerWithAccount } from './format';
import { EmailLayout, InlineLink, Paragraph } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function subject({ payload }: TemplateProps): string {
  return `${payload.provider_name} is connected again`;
}

function IntegrationRestoredEmail(props: TemplateProps) {
  const { payload } = props;
  return (
    <EmailLayout preview={`${subject(props)}. Your workflows have resumed.`} heading={subject(props)}>
      <Paragraph>{providerWithAccount(payload)} is connected again. Your workflows have resumed.</Paragraph>
      <Paragraph>
        <InlineLink href={payload.action_url}>View connections</InlineLink>
      </Paragraph>
    </EmailLayout>
  );
}

export const integrationRestored = { subject, Email: IntegrationRestoredEmail } satisfies TemplateDefinition;
