// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` here is Prometheus template syntax, not JS.
import { describe, expect, it } from 'vitest';
import { RelabelRegex } from '../../src/relabel/regex.js';
import { compileTemplate, expandCompiled, expandTemplate } from '../../src/relabel/template.js';

/**
 * A match of `(?P<first>\w+)-(?P<second>\w+)(x)?` against `foo-bar`: group 3 did not take part.
 */
const SRC = 'foo-bar';
const MATCH = [0, 7, 0, 3, 4, 7, -1, -1];
const NAMES = ['', 'first', 'second', ''];

describe('expandTemplate (Go Regexp.Expand rules, §3)', () => {
  it('uses the offsets RE2 gives for the reference regex', () => {
    const re = new RelabelRegex('(?P<first>\\w+)-(?P<second>\\w+)(x)?');
    expect(Array.from(re.exec(SRC) ?? [])).toEqual(MATCH);
    expect(re.groupNames).toEqual(NAMES);
  });

  it.each([
    // plain text
    ['', ''],
    ['plain', 'plain'],
    ['a.b{c}', 'a.b{c}'],
    // numbered groups
    ['$1', 'foo'],
    ['${1}', 'foo'],
    ['$2-$1', 'bar-foo'],
    ['$1$2', 'foobar'],
    ['x${1}y${2}z', 'xfooybarz'],
    ['$0', 'foo-bar'],
    ['${0}', 'foo-bar'],
    ['$1.5', 'foo.5'],
    // the name is the longest run of letters, digits and _
    ['$1x', ''],
    ['${1}x', 'foox'],
    ['$1_', ''],
    ['$_', ''],
    ['$first_', ''],
    ['${first}_', 'foo_'],
    // non-participating and non-existent groups expand to ''
    ['$3', ''],
    ['[${3}]', '[]'],
    ['$4', ''],
    ['$99999999', ''],
    // named groups
    ['$first', 'foo'],
    ['${second}', 'bar'],
    ['$first-$second', 'foo-bar'],
    ['$missing', ''],
    ['<${missing}>', '<>'],
    // leading zeros and long numbers are names (none of these names exist)
    ['$01', ''],
    ['${01}', ''],
    ['$00', ''],
    ['$0001x', ''],
    ['$1234567890', ''],
    // Unicode letters and digits continue a name
    ['$1é', ''],
    ['$é', ''],
    ['$1١', ''],
    ['${1}é', 'fooé'],
    // $$ is a literal $
    ['$$', '$'],
    ['$$1', '$1'],
    ['$$$1', '$foo'],
    ['$$$$', '$$'],
    ['${1}$$', 'foo$'],
    // malformed references: the $ is literal and scanning continues after it
    ['$', '$'],
    ['a$', 'a$'],
    ['$-', '$-'],
    ['$ 1', '$ 1'],
    ['$.1', '$.1'],
    ['${', '${'],
    ['${1', '${1'],
    ['${}', '${}'],
    ['${-1}', '${-1}'],
    ['${first-}', '${first-}'],
    ['${1 }', '${1 }'],
    ['${1}}', 'foo}'],
    ['${$1}', '${foo}'],
    ['${${1}}', '${foo}'],
    ['$}', '$}'],
    ['$\u{1F600}$1', '$\u{1F600}foo'],
  ])('%j → %j', (template, expected) => {
    expect(expandTemplate(template, SRC, MATCH, NAMES)).toBe(expected);
  });

  it.each([
    // a purely numeric name with a leading zero is looked up by name
    ['(?P<01>a)(b)', 'ab', '$01|$1|$2', 'a|a|b'],
    // up to 9 digits is an index (Go keeps reading while the value is below 1e8) …
    ['(?P<123456789>a)', 'a', '[$123456789]', '[]'],
    // … from 10 digits on it is a name
    ['(?P<1234567890>a)', 'a', '[$1234567890]', '[a]'],
    // a group named like an index is still reached by index only
    ['(b)(?P<1>a)', 'ba', '$1', 'b'],
    ['(?<name>x)', 'x', '${name}$name', 'xx'],
    // a match of the empty string
    ['(a*)', '', '[$1][$0]', '[][]'],
    // groups in an alternative that did not match
    ['(a)|(b)', 'b', '[$1][$2]', '[][b]'],
    // offsets count UTF-16 units; astral characters stay intact
    ['(.)(.)', '\u{1F600}x', '$2$1', 'x\u{1F600}'],
  ])('regex %j on %j: %j → %j', (regex, src, template, expected) => {
    const re = new RelabelRegex(regex);
    const match = re.exec(src);
    expect(match).not.toBeNull();
    expect(expandTemplate(template, src, match ?? [], re.groupNames)).toBe(expected);
  });
});

describe('compileTemplate', () => {
  it.each([
    ['', true, ''],
    ['abc', true, 'abc'],
    ['a$$b', true, 'a$b'],
    ['$', true, '$'],
    ['${', true, '${'],
    ['$9', true, ''], // group 9 cannot exist with 3 groups
    ['x$missing', true, 'x'],
    ['$1', false, ''],
    ['${first}', false, ''],
    ['$0', false, ''],
  ])('%j: literal=%s (%j)', (template, isLiteral, literal) => {
    const t = compileTemplate(template, 3, NAMES);
    expect(t.isLiteral).toBe(isLiteral);
    expect(t.literal).toBe(literal);
    expect(t.source).toBe(template);
  });

  it('resolves names to indexes once', () => {
    const t = compileTemplate('a${second}b$1$$', 3, NAMES);
    expect(t.parts).toEqual(['a', 2, 'b', 1, '$']);
    expect(expandCompiled(t, SRC, MATCH)).toBe('abarbfoo$');
  });
});
