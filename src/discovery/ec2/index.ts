/**
 * EC2 discovery (§10.5): each `ec2_sd_configs` entry becomes one {@link Ec2Discoverer}, which
 * calls DescribeInstances through the AWS SDK.
 */
import type { DiscoveryMechanism } from '../types.js';
import { type Ec2SdConfig, parseEc2SdConfig } from './config.js';
import { type Ec2Deps, Ec2Discoverer } from './discoverer.js';

export {
  DEFAULT_EC2_SD_PORT,
  DEFAULT_EC2_SD_REFRESH_INTERVAL,
  type Ec2Filter,
  type Ec2SdConfig,
  isHttpUrl,
  parseEc2SdConfig,
  parseFilter,
} from './config.js';
export {
  type AwsCredentialsConfig,
  awsCredentials,
  EC2_LABEL,
  type Ec2Deps,
  Ec2Discoverer,
  type Ec2DiscovererOptions,
  ec2ClientOptions,
  errorText,
  instanceTarget,
  sanitizeTagName,
} from './discoverer.js';
export { Ec2SdError, Ec2SdErrorCode } from './error.js';

export const ec2Mechanism: DiscoveryMechanism<Ec2SdConfig, { readonly ec2?: Ec2Deps }> = {
  name: 'ec2_sd_configs',
  parse: parseEc2SdConfig,
  create: (configs, deps) => configs.map((config) => new Ec2Discoverer(config, deps.ec2)),
};
