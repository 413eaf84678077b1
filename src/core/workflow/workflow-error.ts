/** Why a file could not be read as a workflow; the message names the file and what to do. */
export type WorkflowErrorCode =
  'unreadable' | 'too_large' | 'bad_json' | 'bad_png' | 'no_workflow_in_png' | 'not_a_workflow'

export class WorkflowError extends Error {
  override readonly name = 'WorkflowError'
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
  ) {
    super(message)
  }
}
