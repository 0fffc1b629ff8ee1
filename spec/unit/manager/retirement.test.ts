import { Retirement, type RetirementFacts } from '../../../lib/manager/retirement';

const facts = (over: Partial<RetirementFacts> = {}): RetirementFacts => ({
  served: 1,
  limit: 10,
  current: true,
  stopping: false,
  alive: 2,
  maxWorkers: 2,
  rss: undefined,
  ...over,
});

test('a child keeps getting lifetimes while nothing says otherwise', () => {
  expect(new Retirement({}).decide(facts())).toBeUndefined();
});

test.each([
  ['served its limit', { served: 10 }, 'served'],
  ['its generation ended', { current: false }, 'generation'],
  ['more children than maxWorkers', { alive: 3 }, 'maxWorkers'],
  ['over maxChildMemory', { rss: 101 }, 'memory'],
  ['was told to stop (a shrink, a rolling forward)', { stopping: true }, 'stopping'],
] as const)('retired when it %s', (_, over, reason) => {
  expect(new Retirement({ maxChildMemory: 100 }).decide(facts(over))).toBe(reason);
});

test('an RSS at the limit, or not reported, retires nothing', () => {
  const retirement = new Retirement({ maxChildMemory: 100 });
  expect(retirement.decide(facts({ rss: 100 }))).toBeUndefined();
  expect(retirement.decide(facts({ rss: undefined }))).toBeUndefined();
  expect(new Retirement({}).decide(facts({ rss: 1e12 }))).toBeUndefined();
});

test('limits: N, or N plus a whole number from 0 to the jitter; Infinity stays Infinity', () => {
  expect(new Retirement({}).limitForNewChild()).toBe(1);
  expect(new Retirement({ lifetimesPerChild: 5 }).limitForNewChild()).toBe(5);
  expect(new Retirement({ lifetimesPerChild: Infinity, lifetimesJitter: 3 }).limitForNewChild()).toBe(Infinity);
  const seen = new Set<number>();
  const retirement = new Retirement({ lifetimesPerChild: 5, lifetimesJitter: 3 });
  for (let i = 0; i < 400; i++) seen.add(retirement.limitForNewChild());
  expect([...seen].sort()).toEqual([5, 6, 7, 8]);
});
