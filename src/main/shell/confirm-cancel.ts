import { dialog, type BrowserWindow, type MessageBoxOptions } from 'electron'

export const CANCEL_ALL_DIALOG: MessageBoxOptions = {
  type: 'warning',
  title: 'Cancel all downloads',
  message: 'Cancel every queued, running and paused download?',
  detail: 'Their partial files are deleted: downloading them again starts from the beginning.',
  buttons: ['Cancel all downloads', 'Keep downloading'],
  defaultId: 1,
  cancelId: 1,
  noLink: true,
}

/** True only when the user chose to cancel: cancelling deletes partial files, so it is asked first. */
export async function confirmCancelAll(parent: BrowserWindow | null): Promise<boolean> {
  const { response } =
    parent && !parent.isDestroyed()
      ? await dialog.showMessageBox(parent, CANCEL_ALL_DIALOG)
      : await dialog.showMessageBox(CANCEL_ALL_DIALOG)
  return response === 0
}
