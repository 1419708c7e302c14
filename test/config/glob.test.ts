import { describe, expect, it } from 'vitest';
import { compileGlobElement } from '../../src/config/glob.js';

describe('compileGlobElement (Go filepath.Match)', () => {
  it.each([
    { pattern: '*.yml', name: 'jobs.yml', matches: true },
    { pattern: '*.yml', name: '.hidden.yml', matches: true },
    { pattern: '*.yml', name: 'jobs.yaml', matches: false },
    { pattern: 'job?.yml', name: 'job1.yml', matches: true },
    { pattern: 'job?.yml', name: 'job10.yml', matches: false },
    { pattern: '[a-c]*.yml', name: 'b.yml', matches: true },
    { pattern: '[^a-c]*.yml', name: 'b.yml', matches: false },
    { pattern: '[^a-c]*.yml', name: 'd.yml', matches: true },
    { pattern: 'a\\*.yml', name: 'a*.yml', matches: true },
    { pattern: 'a\\*.yml', name: 'ab.yml', matches: false },
    { pattern: 'a.(b)+', name: 'a.(b)+', matches: true },
  ])('$pattern vs $name → $matches', ({ pattern, name, matches }) => {
    expect(compileGlobElement(pattern).test(name)).toBe(matches);
  });

  it.each(['[abc', 'a\\', '[]', '[z-a]'])('rejects %j', (pattern) => {
    expect(() => compileGlobElement(pattern)).toThrow('syntax error in pattern');
  });
});
