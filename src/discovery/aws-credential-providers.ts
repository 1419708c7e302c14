/**
 * AWS credential providers loaded on first use. `run` and every Lambda function import
 * discovery whatever the config holds, and `@aws-sdk/credential-providers` is ~5 MiB of a
 * process's memory (docs/performance.md): a config with no AWS, EC2 or EKS discovery never loads it.
 */
export type CredentialProviders = typeof import('@aws-sdk/credential-providers');
type AwsCredentialIdentityProvider = ReturnType<CredentialProviders['fromNodeProviderChain']>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

/**
 * A credentials provider that imports the providers package and builds `make`'s provider on its
 * first call, then hands every call to that one provider (the SDK's providers cache and refresh
 * what they resolve).
 */
export function loadedOnFirstCall(
  make: (providers: CredentialProviders) => AwsCredentialIdentity | AwsCredentialIdentityProvider,
): AwsCredentialIdentityProvider {
  let inner: Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider> | undefined;
  return async (options) => {
    inner ??= import('@aws-sdk/credential-providers').then(make);
    const provider = await inner;
    return typeof provider === 'function' ? provider(options) : provider;
  };
}
