export {
  DEFAULT_EC2_SD_PORT,
  DEFAULT_EC2_SD_REFRESH_INTERVAL,
  type Ec2Filter,
  type Ec2SdConfig,
  parseEc2SdConfig,
  UNSUPPORTED_HTTP_FIELDS,
} from './config.js';
export {
  createEc2Discoverers,
  EC2_LABEL,
  EC2_SD_CONFIGS,
  type Ec2Deps,
  Ec2Discoverer,
  type Ec2DiscovererOptions,
  ec2ClientOptions,
  instanceTarget,
  sanitizeTagName,
} from './discoverer.js';
export { Ec2SdError, Ec2SdErrorCode } from './error.js';
