// The downloads window arrives with the UI issue; until then the window says what the app can do today.
export function App(): React.JSX.Element {
  return (
    <main className="p-6 font-sans text-sm text-neutral-800 dark:bg-neutral-900 dark:text-neutral-100">
      <h1 className="text-base font-semibold">Model Downloader</h1>
      <p className="mt-2 text-neutral-500">
        The transfer engine is ready; use the <code>modeldl get</code> command while the downloads window is
        being built.
      </p>
    </main>
  )
}
