/**
 * The `User-Agent` lambdascrape sends on scrapes and discovery requests. One constant so a
 * target's access log names the same product whichever path asked it.
 */

/** The version in the User-Agent; kept equal to package.json's. */
export const LAMBDASCRAPE_HTTP_VERSION = '0.1.0';

export const USER_AGENT = `lambdascrape/${LAMBDASCRAPE_HTTP_VERSION}`;
