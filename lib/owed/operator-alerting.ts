/**
 * What a refresh pass owes the people who run Tokenwarden: a word about configuration
 * failures and about providers failing too often. The pass is handed an OperatorAlerting
 * (lib/notify/operator-alerts.ts makes the real one) and never knows how operators hear.
 */

/** One provider's configuration failures in a pass. */
export interface ConfigFailure {
  provider: string;
  providerName: string;
  errorCode: string;
  count: number;
}

export interface OperatorAlerting {
  /** After a pass: resolves to how many new alerts were raised (one per provider and day at most). */
  afterPass(input: { configFailures: ConfigFailure[]; now: Date }): Promise<number>;
}
