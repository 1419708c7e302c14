/**
 * `npx cdk deploy -c config=path/to/prometheus.yml` (see docs/deploy.md and the context keys in
 * infra/app-context.ts). Creates the App and the stack, and runs cdk-nag's AwsSolutions checks
 * on every synth: an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { AppContextError, readAppContext, scraperPropsFromContext } from '../app-context.js';
import { LambdaScrapeStack } from '../lambda-scrape-stack.js';
import { LambdaScraperPropsError } from '../lambda-scraper.js';
import { loadScraperConfig, ScraperConfigError } from '../scraper-config.js';

try {
  // Synthesized explicitly below, so that a mistake in the input synthesizes nothing.
  const app = new App({ autoSynth: false });
  const context = readAppContext(app.node);
  // Fails the synth with `lambdascrape check config`'s message when the config is invalid.
  const config = await loadScraperConfig(context.configPath, {
    skipUnsupportedDiscovery: context.skipUnsupportedDiscovery,
  });
  new LambdaScrapeStack(app, context.stackName, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: 'lambdascrape: Prometheus-compatible scraping on AWS Lambda',
    scraper: (stack) => scraperPropsFromContext(stack, context, config),
  });
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  app.synth();
} catch (err) {
  // Mistakes in the input: their message says everything, a stack trace would bury it.
  const known = [AppContextError, ScraperConfigError, LambdaScraperPropsError];
  if (!known.some((type) => err instanceof type)) throw err;
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
}
