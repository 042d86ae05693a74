import { expiryOf, expiryPhrase, formatUtcDateTime, providerWithAccount } from './format';
import { ActionButton, EmailLayout, Paragraph, WrittenOutLink } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function subject({ payload, now }: TemplateProps): string {
  return `Your ${payload.provider_name} connection ${expiryPhrase(expiryOf(payload), now)}`;
}

function IntegrationTokenExpiringEmail(props: TemplateProps) {
  const { payload } = props;
  const expiresAt = expiryOf(payload);
  return (
    <EmailLayout preview={subject(props)} heading={`Your ${payload.provider_name} connection expires soon`}>
      <Paragraph>
        {expiresAt
          ? `Your connection to ${providerWithAccount(payload)} expires on ${formatUtcDateTime(expiresAt)}.`
          : `Your connection to ${providerWithAccount(payload)} expires soon.`}{' '}
        {payload.provider_name} does not let Tokenwarden renew it automatically.
      </Paragraph>
      <Paragraph>
        {expiresAt
          ? `Please reconnect before ${formatUtcDateTime(expiresAt)} to keep your workflows running.`
          : 'Please reconnect to keep your workflows running.'}
      </Paragraph>
      <ActionButton href={payload.action_url}>Reconnect {payload.provider_name}</ActionButton>
      <WrittenOutLink href={payload.action_url} />
    </EmailLayout>
  );
}

export const integrationTokenExpiring = { subject, Email: IntegrationTokenExpiringEmail } satisfies TemplateDefinition;
