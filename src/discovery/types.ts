/**
 * A group of targets as every discovery mechanism returns it (§10): `source` is stable across
 * refreshes (a group with no targets clears that source); `targets` holds one label record per
 * target (always with `__address__`); `labels` applies to each target that lacks the name.
 */
export interface TargetGroup {
  readonly source: string;
  readonly targets: readonly Readonly<Record<string, string>>[];
  readonly labels: Readonly<Record<string, string>>;
}
