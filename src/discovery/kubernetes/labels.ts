/**
 * Label helpers every role shares: the `__meta_kubernetes_` names of object metadata, label
 * name sanitizing and Go's host:port joining. Values are written as Prometheus writes them;
 * empty values are dropped once, when a group is finished ({@link finishGroup}).
 */
import type { TargetGroup } from '../types.js';
import type { ObjectMeta, OwnerReference } from './objects.js';

export const META = '__meta_kubernetes_';
export const NAMESPACE_LABEL = `${META}namespace`;

export type Labels = Record<string, string>;

/** Label-name characters only, one `_` per other character (Prometheus `SanitizeLabelName`). */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/gu, '_');
}

/** Go `net.JoinHostPort`: brackets a host containing `:` (IPv6). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * `<prefix><resource>_label_<name>`, `_labelpresent_`, `_annotation_`, `_annotationpresent_`
 * for every label and annotation of the object.
 */
export function addLabelsAndAnnotations(out: Labels, meta: ObjectMeta, resource: string): void {
  for (const [k, v] of Object.entries(meta.labels)) {
    const name = sanitizeLabelName(k);
    out[`${META}${resource}_label_${name}`] = v;
    out[`${META}${resource}_labelpresent_${name}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta.annotations)) {
    const name = sanitizeLabelName(k);
    out[`${META}${resource}_annotation_${name}`] = v;
    out[`${META}${resource}_annotationpresent_${name}`] = 'true';
  }
}

/** `<role>_name` plus the object's labels and annotations. */
export function addObjectMeta(out: Labels, meta: ObjectMeta, role: string): void {
  out[`${META}${role}_name`] = meta.name;
  addLabelsAndAnnotations(out, meta, role);
}

/** The owner reference marked `controller: true`, if any (apimachinery `GetControllerOf`). */
export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences.find((r) => r.controller);
}

export function namespacedName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** `labels` without empty values; `__address__` is kept (every target has one). */
function withoutEmpty(labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (v !== '' || k === '__address__') out[k] = v;
  return out;
}

/** The group as discovery returns it: empty values dropped (§10: empty means absent). */
export function finishGroup(source: string, labels: Labels, targets: Labels[]): TargetGroup {
  return { source, labels: withoutEmpty(labels), targets: targets.map(withoutEmpty) };
}
