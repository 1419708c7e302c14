/**
 * The stack `infra/bin/app.ts` deploys: one {@link LambdaScraper} (construct id `Scraper`) and
 * outputs for the things an operator looks up after a deploy.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LambdaScraper, type LambdaScraperProps } from './lambda-scraper.js';

export interface LambdaScrapeStackProps extends StackProps {
  /** Either the props, or a function building them in the stack (imports need a scope). */
  readonly scraper: LambdaScraperProps | ((stack: Stack) => LambdaScraperProps);
}

export class LambdaScrapeStack extends Stack {
  readonly scraper: LambdaScraper;

  constructor(scope: Construct, id: string, props: LambdaScrapeStackProps) {
    super(scope, id, props);
    const scraperProps = typeof props.scraper === 'function' ? props.scraper(this) : props.scraper;
    this.scraper = new LambdaScraper(this, 'Scraper', scraperProps);
    const s = this.scraper;
    new CfnOutput(this, 'DeploymentId', { value: s.deploymentId });
    if (s.monitoring.dashboard !== undefined) {
      new CfnOutput(this, 'DashboardName', { value: s.monitoring.dashboard.dashboardName });
    }
    new CfnOutput(this, 'TargetsTableName', { value: s.targetsTable.tableName });
    new CfnOutput(this, 'StateTableName', { value: s.stateTable.tableName });
    new CfnOutput(this, 'ScrapeQueueUrl', { value: s.scrapeQueue.queueUrl });
    new CfnOutput(this, 'ScrapeDeadLetterQueueUrl', { value: s.scrapeDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'OutboxQueueUrl', { value: s.outboxQueue.queueUrl });
    new CfnOutput(this, 'OutboxDeadLetterQueueUrl', { value: s.outboxDeadLetterQueue.queueUrl });
    if (s.statusPage !== undefined) {
      new CfnOutput(this, 'StatusPageUrl', { value: s.statusPage.url.url });
      new CfnOutput(this, 'StatusPageFunctionName', { value: s.statusPage.function.functionName });
    }
    for (const [role, fn] of Object.entries(s.functions)) {
      new CfnOutput(this, `${role[0]!.toUpperCase()}${role.slice(1)}FunctionName`, {
        value: fn.functionName,
      });
    }
  }
}
