import { providerWithAccount } from './format';
import { ActionButton, Detail, EmailLayout, Paragraph, WrittenOutLink } from './layout';
import type { TemplateDefinition, TemplateProps } from './payload';

function subject({ payload }: TemplateProps): string {
  return `${payload.provider_name} disconnected: reconnect to resume your workflows`;
}

function IntegrationDisconnectedEmail(props: TemplateProps) {
  const { payload } = props;
  const reason = payload.reason?.trim();
  return (
    <EmailLayout preview={`${payload.provider_name} disconnected. Your workflows are paused.`} heading={`${payload.provider_name} disconnected`}>
      <Paragraph>{providerWithAccount(payload)} disconnected. Your workflows are paused. Reconnect now.</Paragraph>
      {reason ? <Detail>{reason}</Detail> : null}
      <ActionButton href={payload.action_url}>Reconnect {payload.provider_name}</ActionButton>
      <WrittenOutLink href={payload.action_url} />
    </EmailLayout>
  );
}

export const integrationDisconnected = { subject, Email: IntegrationDisconnectedEmail } satisfies TemplateDefinition;
