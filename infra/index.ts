/** What a user's own CDK app imports: the construct, its config loader and its parts. */
export {
  type AppContext,
  AppContextError,
  readAppContext,
  scraperPropsFromContext,
} from './app-context.js';
export {
  DEPLOYMENT_DIMENSION,
  METRIC_NAMESPACE,
  type MonitoringProps,
  ScraperMonitoring,
  SELF_METRICS,
} from './dashboard.js';
export { accessFromConfig, type ConfigAccess, parseAmpRemoteWriteUrl } from './iam-from-config.js';
export { LambdaScrapeStack, type LambdaScrapeStackProps } from './lambda-scrape-stack.js';
export {
  type FunctionOptions,
  LambdaScraper,
  type LambdaScraperProps,
  LambdaScraperPropsError,
  NAG_REASONS,
  type QueueConsumerOptions,
} from './lambda-scraper.js';
export {
  loadScraperConfig,
  type ScraperConfig,
  ScraperConfigError,
} from './scraper-config.js';
