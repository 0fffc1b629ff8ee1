/**
 * Exact type equality, as type-testing libraries (expect-type, tsd) check it:
 * two types are equal when every generic function over one is one over the other.
 * `any` equals only `any`, and `{ a: 1 } & { b: 2 }` is not `{ a: 1; b: 2 }`.
 */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when `T` is `true`. */
export function assertType<T extends true>(..._: T extends true ? [] : [never]): void {}

/** A value of type T, for checks that need an expression; never called at run time. */
export declare function value<T>(): T;
