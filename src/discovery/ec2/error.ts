/** Errors of EC2 discovery (§10.5). Messages never contain the secret key. */

export const Ec2SdErrorCode = {
  /** DescribeInstances failed (credentials, permissions, network, throttling, bad response). */
  describe: 'EC2_SD_DESCRIBE_FAILED',
} as const;
export type Ec2SdErrorCode = (typeof Ec2SdErrorCode)[keyof typeof Ec2SdErrorCode];

export class Ec2SdError extends Error {
  override readonly name = 'Ec2SdError';
  constructor(
    readonly code: Ec2SdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
