/**
 * What the role builders look objects up in: the objects of one refresh, listed by the
 * discoverer, keyed as Prometheus's informer stores key them (`namespace/name`, nodes and
 * namespaces by name). A store is absent when the config does not ask for it.
 */
import type { AttachMetadata } from '../config.js';
import type { KubeNode, MetaOnly, Pod, Service } from '../objects.js';

export interface RoleContext {
  readonly attach: AttachMetadata;
  /** With `attach_metadata.node` (and for the pod role's node filter). */
  readonly nodes?: ReadonlyMap<string, KubeNode>;
  /** With `attach_metadata.namespace`. */
  readonly namespaces?: ReadonlyMap<string, MetaOnly>;
  /** With `attach_metadata.deployment`. */
  readonly replicaSets?: ReadonlyMap<string, MetaOnly>;
  /** With `attach_metadata.job` or `cronjob`. */
  readonly jobs?: ReadonlyMap<string, MetaOnly>;
  /** endpoints and endpointslice roles: the pods and services of the namespace. */
  readonly pods?: ReadonlyMap<string, Pod>;
  readonly services?: ReadonlyMap<string, Service>;
}
