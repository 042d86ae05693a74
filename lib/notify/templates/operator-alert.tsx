import { render } from '@react-email/components';
import { z } from 'zod';
import { oneLine } from './format';
import { EmailLayout, Paragraph } from './layout';

/** An operator alert (configuration failure, provider failure rate); written by lib/notify/operator-alerts. */
export const operatorAlertPayloadSchema = z.object({
  title: z.string().min(1),
  message: z.string().min(1),
  provider: z.string().nullable().optional(),
});

type OperatorAlertPayload = z.infer<typeof operatorAlertPayloadSchema>;

function OperatorAlertEmail({ payload }: { payload: OperatorAlertPayload }) {
  return (
    <EmailLayout preview={payload.title} heading={payload.title}>
      <Paragraph>{payload.message}</Paragraph>
      <Paragraph>Users were not told: this needs an operator. The admin page lists every alert.</Paragraph>
    </EmailLayout>
  );
}

export async function renderOperatorAlert(payload: OperatorAlertPayload): Promise<{ subject: string; html: string; text: string }> {
  const element = <OperatorAlertEmail payload={payload} />;
  return {
    subject: oneLine(`[Tokenwarden] ${payload.title}`),
    html: await render(element),
    text: await render(element, { plainText: true }),
  };
}
