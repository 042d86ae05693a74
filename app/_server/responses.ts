import type { z } from 'zod';

/** 400 naming the first bad field: never a stack, never the submitted values. */
export function badRequest(error: z.ZodError): Response {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || null;
  return Response.json({ error: 'Invalid input', field, message: issue?.message ?? 'invalid' }, { status: 400 });
}
