import { emailPayloadSchema, isEmailTemplate, renderEmail } from './templates';
import { operatorAlertPayloadSchema, renderOperatorAlert } from './templates/operator-alert';

type RenderedOutboxEmail =
  | { ok: true; email: { subject: string; html: string; text: string } }
  | { ok: false; problem: string };

/** Renders an outbox row's template and payload; a bad row is a reason, not a crash. */
export async function renderOutboxEmail(template: string, payload: unknown): Promise<RenderedOutboxEmail> {
  if (template === 'operator_alert') {
    const parsed = operatorAlertPayloadSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, problem: `payload ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}` };
    return { ok: true, email: await renderOperatorAlert(parsed.data) };
  }
  if (!isEmailTemplate(template)) return { ok: false, problem: `unknown template "${template}"` };
  const parsed = emailPayloadSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, problem: `payload ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}` };
  return { ok: true, email: await renderEmail(template, parsed.data) };
}
