import { expect } from 'vitest'
import { ApiError } from '../../src/shared/api-contract'

/** What `promise` rejected with, checked to be an ApiError (a resolution fails the test). */
export async function apiRejection(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ApiError)
  return err as ApiError
}
