/**
 * The `purpose-not-allowed` rule: a requester declaring a purpose outside their organisation's
 * configured set is flagged per requester-day; organisations not configured are not judged.
 */
import { loadConfig } from '../../lib/config';
import { ruleSettings } from '../../gateway/src/audit/evaluator';
import { RULES, type RuleRecord } from '../../gateway/src/audit/rules';

const rule = RULES.find((r) => r.id === 'purpose-not-allowed')!;
const at = (local: string) => new Date(`${local}+08:00`);
const record = (seq: number, sub: string, org: string, purpose: string, time: string, subjects = ['430702198503151239']): RuleRecord =>
  ({ seq, time: at(time), sub, org, purpose, caseNumber: null, subjects });

describe('purpose-not-allowed', () => {
  const settings = ruleSettings(loadConfig({ AUDIT_RULE_ORG_PURPOSES: JSON.stringify({ 常德市民政局: ['marital-status-verification', 'marriage-registration'] }) }));
  const ordinary = [
    record(1, 'clerk-a', '常德市民政局', 'marriage-registration', '2026-11-23T10:00:00'),
    record(2, 'clerk-a', '常德市民政局', 'marital-status-verification', '2026-11-23T11:00:00'),
    // Not configured: not judged, whatever it declares.
    record(3, 'judge-b', '常德市武陵区人民法院', 'litigation', '2026-11-23T11:30:00'),
    // No subjects released: nothing to flag.
    record(4, 'clerk-a', '常德市民政局', 'litigation', '2026-11-24T09:00:00', []),
  ];
  const planted = [
    record(5, 'clerk-c', '常德市民政局', 'litigation', '2026-11-24T10:00:00'),
    record(6, 'clerk-c', '常德市民政局', 'property-transaction', '2026-11-24T15:00:00'),
  ];

  it('flags the planted requester-day and nothing in the ordinary traffic', () => {
    const found = rule.evaluate([...ordinary, ...planted], settings);
    expect(found.map((f) => [f.windowKey, f.recordSeqs])).toEqual([['clerk-c/2026-11-24', [5, 6]]]);
    expect(found[0]).toMatchObject({ severity: 'HIGH', org: '常德市民政局' });
    expect(found[0].detail).toContain('litigation, property-transaction');
    expect(rule.evaluate(ordinary, settings)).toEqual([]);
  });

  it('judges nobody when no organisation is configured, and refuses a malformed configuration', () => {
    expect(rule.evaluate(planted, ruleSettings(loadConfig({})))).toEqual([]);
    expect(() => loadConfig({ AUDIT_RULE_ORG_PURPOSES: '{"x": "litigation"}' })).toThrow(/AUDIT_RULE_ORG_PURPOSES/);
  });
});
