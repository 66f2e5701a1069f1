import { errors as vineErrors } from '@vinejs/vine'

/**
 * The validator checks uniqueness before the insert; two requests racing for the same value
 * both pass it and the database's unique index refuses the second. That request gets the
 * validator's answer (a field error), not a 500.
 */
export default class DuplicateValue {
  static async guard<T>(field: string, constraint: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      const { code, constraint: violated } = error as { code?: string; constraint?: string }
      if (code !== '23505' || violated !== constraint) throw error
      throw new vineErrors.E_VALIDATION_ERROR([
        { field, message: `The ${field} has already been taken`, rule: 'database.unique' },
      ])
    }
  }
}
