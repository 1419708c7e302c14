/**
 * The OpenMetrics 1.0 parser conformance suite (../shared/conformance/openmetrics, 211 cases:
 * 44 valid, 167 invalid; accept/reject only, see its README). Every case runs twice:
 *
 * - `strict: true` must meet every case.
 * - The default (Prometheus-compatible) mode must meet every case except the ones listed in
 *   PROMETHEUS_ACCEPTS, which it accepts on purpose, each with the reason. The test checks
 *   the list both ways: a listed case that starts failing to parse is reported too.
 *
 * The suite lives outside the repository (test/support/shared-data.ts): when it is absent the
 * tests are skipped with a printed reason, or fail under CI=true.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExpositionParseError } from '../../src/exposition/index.js';
import { consume } from '../exposition/helpers.js';
import { describeWithSharedData } from '../support/shared-data.js';

interface SuiteCase {
  readonly name: string;
  readonly valid: boolean;
  readonly input: Uint8Array;
}

function loadCases(suiteDir: string): SuiteCase[] {
  return readdirSync(suiteDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const expect = JSON.parse(readFileSync(path.join(suiteDir, d.name, 'expect.json'), 'utf8'));
      return {
        name: d.name,
        valid: expect.valid === true,
        input: new Uint8Array(readFileSync(path.join(suiteDir, d.name, 'input.txt'))),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

// Why the default mode accepts these invalid cases. Prometheus's OpenMetrics parser checks no
// family-level rule except the UNIT suffix (§5.2); rejecting them would fail scrapes (up=0, all
// samples lost, §6.2) of targets Prometheus ingests. Strict mode rejects all of them.
const METADATA =
  'repeated or misplaced HELP/TYPE/UNIT: Prometheus keeps the last value and does not check placement';
const CLASH = 'name clashes between families: Prometheus does not track families across lines';
const COUNTER_VALUES =
  'negative or NaN counter-like value: Prometheus ingests values as exposed (histograms with negative observations have a negative _sum in common clients)';
const HISTOGRAM =
  'histogram structure (bucket order, +Inf, count/sum consistency): not checked by Prometheus; non-atomic client histograms can expose such snapshots';
const GROUPING =
  'grouping/ordering of samples: Prometheus appends in input order and leaves out-of-order samples to storage, per sample';
const EXEMPLAR_PLACEMENT = 'exemplar placement: Prometheus accepts exemplars on any series (§5.2)';
const EXEMPLAR_LENGTH =
  'exemplar labels over 128 characters: Prometheus drops the exemplar at append, the sample is kept (§5.2)';
const TYPE_LABELS =
  'le/quantile/state labels missing or invalid: Prometheus keeps non-float values verbatim (§5.1 normalisation)';
const INFO_STATESET = 'info/stateset values: not checked by Prometheus';
const DUPLICATE_LABELS =
  'duplicate label names: the parser accepts them as Prometheus does; the append must reject the series and fail the scrape (§5.1, §6.1)';
const TRAILING_COMMA = 'trailing comma in a label set: accepted by Prometheus (§5.2)';
const UNIT_TYPE = 'UNIT on an info/stateset family: Prometheus checks only the name suffix';

const PROMETHEUS_ACCEPTS: Readonly<Record<string, string>> = {
  bad_clashing_names_0: METADATA,
  bad_clashing_names_1: METADATA,
  bad_clashing_names_2: CLASH,
  bad_counter_values_0: COUNTER_VALUES,
  bad_counter_values_1: COUNTER_VALUES,
  bad_counter_values_2: COUNTER_VALUES,
  bad_counter_values_3: COUNTER_VALUES,
  bad_counter_values_4: COUNTER_VALUES,
  bad_counter_values_5: COUNTER_VALUES,
  bad_counter_values_6: COUNTER_VALUES,
  bad_counter_values_7: COUNTER_VALUES,
  bad_counter_values_8: HISTOGRAM,
  bad_counter_values_9: HISTOGRAM,
  bad_counter_values_10: COUNTER_VALUES,
  bad_counter_values_11: COUNTER_VALUES,
  bad_counter_values_12: COUNTER_VALUES,
  bad_counter_values_13: COUNTER_VALUES,
  bad_counter_values_14: COUNTER_VALUES,
  bad_counter_values_15: COUNTER_VALUES,
  bad_counter_values_16: COUNTER_VALUES,
  bad_counter_values_17: COUNTER_VALUES,
  bad_counter_values_18: COUNTER_VALUES,
  bad_counter_values_19: COUNTER_VALUES,
  bad_exemplar_complex_chars: EXEMPLAR_LENGTH,
  bad_exemplars_6: EXEMPLAR_LENGTH,
  bad_exemplars_on_unallowed_metric_types_0: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_metric_types_1: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_metric_types_2: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_samples_0: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_samples_1: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_samples_2: EXEMPLAR_PLACEMENT,
  bad_exemplars_on_unallowed_samples_3: EXEMPLAR_PLACEMENT,
  bad_grouping_or_ordering_0: GROUPING,
  bad_grouping_or_ordering_2: GROUPING,
  bad_grouping_or_ordering_3: GROUPING,
  bad_grouping_or_ordering_4: GROUPING,
  bad_grouping_or_ordering_5: GROUPING,
  bad_grouping_or_ordering_6: GROUPING,
  bad_grouping_or_ordering_7: GROUPING,
  bad_grouping_or_ordering_8: GROUPING,
  bad_grouping_or_ordering_9: GROUPING,
  bad_grouping_or_ordering_10: GROUPING,
  bad_histograms_0: HISTOGRAM,
  bad_histograms_1: HISTOGRAM,
  bad_histograms_2: HISTOGRAM,
  bad_histograms_3: HISTOGRAM,
  bad_histograms_6: HISTOGRAM,
  bad_histograms_7: HISTOGRAM,
  bad_histograms_8: HISTOGRAM,
  bad_histograms_9: HISTOGRAM,
  bad_histograms_10: HISTOGRAM,
  bad_histograms_11: HISTOGRAM,
  bad_histograms_12: TYPE_LABELS,
  bad_histograms_13: HISTOGRAM,
  bad_histograms_14: HISTOGRAM,
  bad_info_and_stateset_values_0: INFO_STATESET,
  bad_info_and_stateset_values_1: INFO_STATESET,
  bad_invalid_labels_2: DUPLICATE_LABELS,
  bad_invalid_labels_5: DUPLICATE_LABELS,
  bad_metadata_in_wrong_place_0: METADATA,
  bad_metadata_in_wrong_place_1: METADATA,
  bad_metadata_in_wrong_place_2: METADATA,
  bad_missing_or_extra_commas_2: TRAILING_COMMA,
  bad_missing_or_invalid_labels_for_a_type_0: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_1: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_2: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_3: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_4: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_5: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_6: TYPE_LABELS,
  bad_missing_or_invalid_labels_for_a_type_7: TYPE_LABELS,
  bad_repeated_metadata_0: METADATA,
  bad_repeated_metadata_1: METADATA,
  bad_repeated_metadata_3: METADATA,
  bad_stateset_info_values_0: INFO_STATESET,
  bad_stateset_info_values_1: INFO_STATESET,
  bad_stateset_info_values_2: INFO_STATESET,
  bad_stateset_info_values_3: INFO_STATESET,
  bad_unit_6: UNIT_TYPE,
  bad_unit_7: UNIT_TYPE,
};

function parses(input: Uint8Array, strict: boolean): unknown {
  try {
    consume('openmetrics', input, { strict });
    return undefined;
  } catch (err) {
    return err;
  }
}

describeWithSharedData(
  'OpenMetrics 1.0 conformance suite',
  'conformance/openmetrics',
  (suiteDir) => {
    const cases = loadCases(suiteDir);

    it('holds 211 cases, 44 valid', () => {
      expect(cases).toHaveLength(211);
      expect(cases.filter((c) => c.valid)).toHaveLength(44);
    });

    it('lists only invalid cases of the suite as Prometheus-accepted', () => {
      const byName = new Map(cases.map((c) => [c.name, c]));
      for (const name of Object.keys(PROMETHEUS_ACCEPTS)) {
        expect(byName.get(name)?.valid, name).toBe(false);
      }
    });

    describe('strict: true meets every case', () => {
      it.each(cases)('$name', ({ input, valid }) => {
        const err = parses(input, true);
        if (valid) expect(err).toBeUndefined();
        else expect(err).toBeInstanceOf(ExpositionParseError);
      });
    });

    describe('default (Prometheus-compatible) mode', () => {
      it.each(cases)('$name', ({ name, input, valid }) => {
        const err = parses(input, false);
        const acceptedOnPurpose = PROMETHEUS_ACCEPTS[name];
        if (valid || acceptedOnPurpose !== undefined) expect(err).toBeUndefined();
        else expect(err).toBeInstanceOf(ExpositionParseError);
      });
    });
  },
);
