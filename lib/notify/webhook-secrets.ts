/** Binds a webhook signing secret's ciphertext to its endpoint row (AES-GCM associated data). */
export function webhookSecretContext(endpointId: string): string {
  return `webhook_endpoints/${endpointId}/secret`;
}
