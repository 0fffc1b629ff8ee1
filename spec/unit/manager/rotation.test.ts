import { Rotation } from '../../../lib/manager/rotation';

function turns(rotation: Rotation<number>, count: number): Array<number | undefined> {
  return Array.from({ length: count }, () => rotation.next());
}

test('members take turns in the order they joined', () => {
  const rotation = new Rotation<number>();
  expect(rotation.next()).toBeUndefined();
  for (const pid of [10, 11, 12]) rotation.join(pid);
  expect(turns(rotation, 7)).toEqual([10, 11, 12, 10, 11, 12, 10]);
});

test('joining twice changes nothing; leaving keeps the turn of the member after it', () => {
  const rotation = new Rotation<number>();
  for (const pid of [10, 11, 12, 13]) rotation.join(pid);
  rotation.join(11);
  expect(rotation.size).toBe(4);
  expect(turns(rotation, 2)).toEqual([10, 11]);
  // 12 is next; 10 (before the turn) and 12 itself leave: 13 is next, then 11.
  expect(rotation.leave(10)).toBe(true);
  expect(rotation.leave(12)).toBe(true);
  expect(rotation.leave(12)).toBe(false);
  expect(turns(rotation, 3)).toEqual([13, 11, 13]);
  expect(rotation.has(11)).toBe(true);
  expect(rotation.has(10)).toBe(false);
});

test('leaving the last member in the order wraps the turn round to the first', () => {
  const rotation = new Rotation<number>();
  for (const pid of [1, 2, 3]) rotation.join(pid);
  expect(turns(rotation, 2)).toEqual([1, 2]);
  rotation.leave(3);
  expect(turns(rotation, 3)).toEqual([1, 2, 1]);
  rotation.leave(1);
  rotation.leave(2);
  expect(rotation.next()).toBeUndefined();
});

test('every member takes its turn, whatever its generation: a reload shares the load until the old ones leave', () => {
  const rotation = new Rotation<number>();
  rotation.join(1); // generation 1
  rotation.join(2);
  expect(turns(rotation, 3)).toEqual([1, 2, 1]);
  rotation.join(3); // a rolling reload: the new generation's first child serves beside the old ones
  expect(turns(rotation, 3)).toEqual([2, 3, 1]);
  rotation.leave(1); // told to stop: withdrawn at once
  rotation.join(4);
  expect(turns(rotation, 3)).toEqual([2, 3, 4]);
  rotation.leave(2);
  expect(turns(rotation, 4)).toEqual([3, 4, 3, 4]);
});
